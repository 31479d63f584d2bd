//! The expiry reminders' words (`components/calendar_feed`'s body), apart from `Messages` so
//! that they travel with that body's own module, fetched when the section is first opened.

use super::Locale;

pub struct ReminderWords {
    pub intro: &'static str,
    pub link_label: &'static str,
    pub make: &'static str,
    pub new: &'static str,
    pub revoke: &'static str,
    pub revoked: &'static str,
    pub email: &'static str,
    pub email_saved: &'static str,
}

/// The words in `locale`.
pub fn words(locale: Locale) -> &'static ReminderWords {
    match locale {
        Locale::En => &EN,
        Locale::ZhCn => &ZH_CN,
    }
}

static EN: ReminderWords = ReminderWords {
    intro: "Subscribe to this link in a calendar app to see when your tokens here expire, with a reminder a week before. The link is shown once; anyone who has it sees your tokens' names and dates, so keep it private. A new link, or Revoke, ends the old one.",
    link_label: "Calendar link (shown once)",
    make: "Get a calendar link",
    new: "Replace the link",
    revoke: "Revoke the link",
    revoked: "Calendar link revoked.",
    email: "Email me 7 days and 1 day before a token of mine here expires, and when someone else or the service disables one",
    email_saved: "Email reminders saved.",
};

static ZH_CN: ReminderWords = ReminderWords {
    intro: "在日历应用中订阅此链接，即可查看您在本工作区的令牌何时到期，并在到期前一周收到提醒。链接只显示一次；任何拿到链接的人都能看到令牌名称和日期，请妥善保管。生成新链接或撤销后，旧链接即失效。",
    link_label: "日历链接（只显示一次）",
    make: "获取日历链接",
    new: "换一个链接",
    revoke: "撤销链接",
    revoked: "日历链接已撤销。",
    email: "在本工作区我的令牌到期前 7 天和 1 天，以及被他人或服务停用时，给我发邮件",
    email_saved: "邮件提醒设置已保存。",
};
