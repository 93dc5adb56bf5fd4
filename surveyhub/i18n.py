"""The product's own words (buttons, emails, page messages) in the locales our users write."""

from __future__ import annotations

SUPPORTED = ("en", "ms", "id", "zh")

TEXT: dict[str, dict[str, str]] = {
    "email_subject": {"en": "{org}: a quick question before you go", "ms": "{org}: soalan ringkas sebelum anda pergi",
                      "id": "{org}: pertanyaan singkat sebelum Anda pergi", "zh": "{org}：离开前的一个小问题"},
    "email_button": {"en": "Answer the survey", "ms": "Jawab tinjauan", "id": "Isi survei", "zh": "填写问卷"},
    "email_pick": {"en": "Choose an answer to start:", "ms": "Pilih jawapan untuk bermula:",
                   "id": "Pilih jawaban untuk memulai:", "zh": "选择一个答案开始："},
    "email_footer": {"en": "You received this because you were a customer of {org}.",
                     "ms": "Anda menerima ini kerana anda pelanggan {org}.",
                     "id": "Anda menerima ini karena Anda pelanggan {org}.", "zh": "您收到此邮件是因为您曾是 {org} 的客户。"},
    "unsubscribe": {"en": "Unsubscribe", "ms": "Berhenti langganan", "id": "Berhenti berlangganan", "zh": "退订"},
    "unsubscribe_question": {"en": "Stop receiving survey emails from {org}?",
                             "ms": "Berhenti menerima e-mel tinjauan daripada {org}?",
                             "id": "Berhenti menerima email survei dari {org}?", "zh": "不再接收来自 {org} 的问卷邮件？"},
    "unsubscribed": {"en": "You are unsubscribed. {org} will not email you surveys again.",
                     "ms": "Anda telah berhenti melanggan. {org} tidak akan menghantar tinjauan lagi.",
                     "id": "Anda telah berhenti berlangganan. {org} tidak akan mengirim survei lagi.",
                     "zh": "您已退订。{org} 将不再向您发送问卷邮件。"},
    "next": {"en": "Next", "ms": "Seterusnya", "id": "Berikutnya", "zh": "下一步"},
    "finish": {"en": "Finish", "ms": "Selesai", "id": "Selesai", "zh": "完成"},
    "back": {"en": "Back", "ms": "Kembali", "id": "Kembali", "zh": "返回"},
    "skip": {"en": "Skip", "ms": "Langkau", "id": "Lewati", "zh": "跳过"},
    "yes": {"en": "Yes", "ms": "Ya", "id": "Ya", "zh": "是"},
    "no": {"en": "No", "ms": "Tidak", "id": "Tidak", "zh": "否"},
    "other": {"en": "Other", "ms": "Lain-lain", "id": "Lainnya", "zh": "其他"},
    "other_text": {"en": "Please tell us", "ms": "Sila nyatakan", "id": "Sebutkan", "zh": "请说明"},
    "optional": {"en": "optional", "ms": "pilihan", "id": "opsional", "zh": "可选"},
    "progress": {"en": "Question {n} of {total}", "ms": "Soalan {n} daripada {total}",
                 "id": "Pertanyaan {n} dari {total}", "zh": "第 {n} 题，共 {total} 题"},
    "nps_low": {"en": "Not at all likely", "ms": "Sangat tidak mungkin", "id": "Sangat tidak mungkin",
                "zh": "完全不可能"},
    "nps_high": {"en": "Extremely likely", "ms": "Sangat mungkin", "id": "Sangat mungkin", "zh": "非常可能"},
    "thanks": {"en": "Thank you for telling us.", "ms": "Terima kasih kerana memberitahu kami.",
               "id": "Terima kasih telah memberi tahu kami.", "zh": "感谢您的反馈。"},
    "link_invalid": {"en": "This link is not valid.", "ms": "Pautan ini tidak sah.", "id": "Tautan ini tidak valid.",
                     "zh": "此链接无效。"},
    "link_expired": {"en": "This link has expired.", "ms": "Pautan ini telah tamat tempoh.",
                     "id": "Tautan ini sudah kedaluwarsa.", "zh": "此链接已过期。"},
    "already_answered": {"en": "You have already answered, thank you.", "ms": "Anda sudah menjawab, terima kasih.",
                         "id": "Anda sudah menjawab, terima kasih.", "zh": "您已作答，谢谢。"},
    "survey_closed": {"en": "This survey is closed.", "ms": "Tinjauan ini telah ditutup.",
                      "id": "Survei ini sudah ditutup.", "zh": "此问卷已关闭。"},
    "fix_answer": {"en": "Please check your answer", "ms": "Sila semak jawapan anda", "id": "Periksa jawaban Anda",
                   "zh": "请检查您的答案"},
}


def ui_locale(*candidates: str | None) -> str:
    """Pick the first candidate locale we have words for (by language), else English."""
    for locale in candidates:
        if locale:
            language = locale.split("-")[0].lower()
            if language in SUPPORTED:
                return language
    return "en"


def t(key: str, locale: str, **values: object) -> str:
    """Return the product's text for `key` in `locale`, with `values` filled in."""
    entry = TEXT[key]
    return entry.get(locale, entry["en"]).format(**values)
