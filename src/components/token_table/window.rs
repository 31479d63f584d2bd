//! The window of a long token list: only the rows near the viewport are in the document.

use leptos::prelude::*;
use token_api::tokens::TokenView;
use wasm_bindgen::JsCast;

/// A longer list renders only the rows near the viewport, between two spacers of the height of
/// the rows left out; up to this many, every row is in the document (and findable with Ctrl+F).
pub(super) const WINDOWED_FROM: usize = 200;
/// Rows rendered beyond each edge of the viewport; the window moves in steps of this many.
const OVERSCAN: usize = 30;

/// Which rows of a long list are rendered: those near the viewport, found from the rendered
/// rows' place on screen and their measured average height, and moved as the page (or any
/// scrolling ancestor, as in a host app) scrolls. Selection, ranges and "select all" work on
/// the list itself, so rows out of the window take part in them too.
#[derive(Clone, Copy)]
pub(super) struct RowWindow {
    pub(super) body: NodeRef<leptos::html::Tbody>,
    rows: Signal<Vec<TokenView>>,
    /// The rendered rows, `start..end` of the list, and a row's height in CSS pixels as last
    /// measured.
    at: RwSignal<(usize, usize, f64)>,
}

impl RowWindow {
    pub(super) fn follow(rows: Signal<Vec<TokenView>>) -> RowWindow {
        let window = RowWindow {
            body: NodeRef::new(),
            rows,
            at: RwSignal::new((0, 2 * OVERSCAN, 48.0)),
        };
        // Scroll events do not bubble: listen in the capture phase, for any scrolling ancestor.
        let listener =
            send_wrapper::SendWrapper::new(wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || window.place()));
        let listen = move |add: bool| {
            let win = leptos::prelude::window();
            for event in ["scroll", "resize"] {
                let f = listener.as_ref().unchecked_ref();
                let _ = if add {
                    win.add_event_listener_with_callback_and_bool(event, f, true)
                } else {
                    win.remove_event_listener_with_callback_and_bool(event, f, true)
                };
            }
        };
        listen(true);
        on_cleanup(move || listen(false));
        // After the list or the window changes, and the rows are laid out: measure and place.
        Effect::new(move |_| {
            window.rows.track();
            window.at.track();
            request_animation_frame(move || window.place());
        });
        window
    }

    pub(super) fn len(self) -> usize {
        self.rows.with(Vec::len)
    }

    pub(super) fn windowed(self) -> bool {
        self.len() > WINDOWED_FROM
    }

    pub(super) fn windowed_untracked(self) -> bool {
        self.rows.with_untracked(Vec::len) > WINDOWED_FROM
    }

    /// The rows to render, with their places in the list.
    pub(super) fn rows(self) -> Vec<(usize, TokenView)> {
        let (start, end, _) = if self.windowed() {
            self.at.get()
        } else {
            (0, usize::MAX, 0.0)
        };
        self.rows.with(|r| {
            let end = end.min(r.len());
            let start = start.min(end);
            r[start..end]
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, t)| (start + i, t))
                .collect()
        })
    }

    /// A spacer row standing in for the rows left out above (`top`) or below the window.
    pub(super) fn spacer(self, top: bool, columns: u32) -> Option<impl IntoView> {
        if !self.windowed() {
            return None;
        }
        let len = self.len();
        let (start, end, row_px) = self.at.get();
        let end = end.min(len);
        let rows = if top { start.min(end) } else { len - end };
        // Whole pixels: formatting an f64 would bring Rust's float printing into the bundle
        // (7.6 KiB brotli, measured). Set through the element's style, not a `style` attribute,
        // which the page's Content-Security-Policy (no 'unsafe-inline') refuses.
        (rows > 0).then(|| {
            view! {
                <tr class="spacer" aria-hidden="true">
                    <td colspan=columns style:height=format!("{}px", (rows as f64 * row_px).round() as u64)></td>
                </tr>
            }
        })
    }

    /// Measures the rendered rows and moves the window to the viewport, when the viewport has
    /// come near an edge of the window: measured from the rows themselves, so the spacers'
    /// estimate never feeds back into where the window goes.
    fn place(self) {
        // A frame requested before the table went may arrive after it.
        let (Some(len), Some((start, end, mut row_px))) =
            (self.rows.try_with_untracked(Vec::len), self.at.try_get_untracked())
        else {
            return;
        };
        let Some(body) = self.body.get_untracked().filter(|_| len > WINDOWED_FROM) else {
            return;
        };
        let win = leptos::prelude::window();
        let viewport = win.inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(900.0);
        let first = body.query_selector("tr[aria-rowindex]").ok().flatten();
        let last = body.last_element_child().and_then(|l| {
            if l.class_name() == "spacer" {
                l.previous_element_sibling()
            } else {
                Some(l)
            }
        });
        let rendered = end.min(len).saturating_sub(start);
        // The list's row at the top of the viewport, in rows (fractional).
        let at = match (first, last) {
            (Some(first), Some(last)) if rendered > 0 => {
                let top = first.get_bounding_client_rect().top();
                let measured = (last.get_bounding_client_rect().bottom() - top) / rendered as f64;
                if measured >= 1.0 && (measured - row_px).abs() > 0.5 {
                    // The spacer above changes by as much: scroll by it too, so the rows in
                    // view stay where they are (the table opts out of scroll anchoring).
                    win.scroll_by_with_x_and_y(0.0, start.min(len) as f64 * (measured - row_px));
                    row_px = measured;
                }
                start as f64 - top / row_px
            }
            _ => -body.get_bounding_client_rect().top() / row_px,
        };
        let first = at.max(0.0) as usize;
        let last = (first + (viewport / row_px).ceil() as usize + 1).min(len);
        let margin = OVERSCAN / 2;
        let (start, end) = if start <= first.saturating_sub(margin) && end >= (last + margin).min(len) {
            (start, end)
        } else {
            (
                first.saturating_sub(OVERSCAN) / OVERSCAN * OVERSCAN,
                ((last + OVERSCAN).div_ceil(OVERSCAN) * OVERSCAN).min(len),
            )
        };
        if self.at.get_untracked() != (start, end, row_px) {
            self.at.set((start, end, row_px));
        }
    }
}
