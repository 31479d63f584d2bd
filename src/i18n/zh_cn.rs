//! 简体中文 (Simplified Chinese).

use super::Messages;

pub static MESSAGES: Messages = Messages {
    language_name: "简体中文",
    app_name: "令牌控制台",
    language_label: "语言",
    workspace_label: "工作区",
    nav_label: "主导航",
    nav_tokens: "我的令牌",
    nav_admin: "管理",
    sign_out: "退出登录",
    signed_in_as: |email| format!("已登录：{email}"),
    loading: "加载中…",
    retry: "重试",

    sign_in_title: "登录令牌控制台",
    sign_in_intro: "创建并管理你所在工作区的 API 令牌。",
    email_label: "邮箱",
    password_label: "密码",
    sign_in_button: "登录",
    signing_in: "正在登录…",
    wrong_credentials: "邮箱或密码错误。",
    session_expired: "你的会话已结束，请重新登录。",

    users_title: "API 令牌",
    users_intro: "令牌让程序以你的身份调用 API，且仅限本工作区。每个令牌是一个刷新令牌，有效期由你选择，可换取有效期为一小时的访问令牌。",
    no_workspace: "你还不是任何工作区的成员。",
    empty_tokens: "你在本工作区还没有令牌。",
    col_name: "名称",
    col_status: "状态",
    col_created: "创建时间",
    col_expires: "到期时间",
    col_last_used: "上次使用",
    col_hint: "结尾字符",
    status_active: "有效",
    status_disabled: "已停用",
    status_expired: "已过期",
    never: "从未",

    admin_title: "工作区令牌",
    admin_intro: "本工作区所有成员的 API 令牌。",
    not_allowed_title: "无权访问",
    not_allowed_body: "只有本工作区的管理员可以打开此页面。",

    not_found_title: "页面不存在",
    not_found_body: "此地址没有内容。",
    back_to_tokens: "返回我的令牌",

    error_title: "出错了",
    error_network: "无法连接服务，请检查网络后重试。",
    error_server: |status| format!("服务返回了错误（{status}）。"),
    error_decode: "服务返回了本页面无法理解的内容。",
};
