// Token Console for host pages. The build points the two imports below at the content-hashed
// files (xtask/src/dist.rs).
//
//
//   <div data-token-console data-page="users"></div>
//   <script type="module" src="/token-console/embed.js"></script>
//
// Loading this module mounts a panel into every element marked `data-token-console`, configured by
// its data-* attributes. Hosts that want control import `mount` instead:
//
//   import { mount } from "/token-console/embed.js";
//   const panel = await mount(element, { page: "admin", basePath: "/settings/tokens" });
//   panel.unmount();
import init, { mount as mountNow } from "./token-console.js";

/** Resolves once the panel's code is loaded and the data-attribute panels are mounted. */
export const ready = init({ module_or_path: new URL("./token-console_bg.wasm", import.meta.url) });

/** Mounts a panel into `element`; resolves to a handle whose `unmount()` removes it. */
export async function mount(element, options = {}) {
  await ready;
  return mountNow(element, options);
}
