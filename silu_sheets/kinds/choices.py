"""Choice lists used by more than one kind."""

from silu_sheets.declare import Choice

CHANNELS = (
    Choice("phone", "电话", "phone"),
    Choice("email", "邮件", "email"),
    Choice("visit", "来访", "visit"),
    Choice("fair", "展会", "fair"),
    Choice("web", "网站", "website"),
    Choice("chat", "即时通讯", "chat"),
    Choice("other", "其他", "other"),
)
