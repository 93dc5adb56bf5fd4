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
    "fix_answer": {"en": "Please check your answer: {problem}", "ms": "Sila semak jawapan anda: {problem}",
                   "id": "Periksa jawaban Anda: {problem}", "zh": "请检查您的答案：{problem}"},
    "ready_to_finish": {"en": "That's all the questions.", "ms": "Itu sahaja soalannya.",
                        "id": "Itu semua pertanyaannya.", "zh": "问题已全部回答完毕。"},
    # Why an answer on the hosted page was not taken: survey_logic.AnswerError's reasons.
    "answer_choose": {"en": "Choose an answer.", "ms": "Sila pilih satu jawapan.", "id": "Pilih salah satu jawaban.",
                      "zh": "请选择一个答案。"},
    "answer_one_choice": {"en": "Choose only one answer.", "ms": "Pilih satu jawapan sahaja.",
                          "id": "Pilih satu jawaban saja.", "zh": "只能选择一个答案。"},
    "answer_not_a_choice": {"en": "Choose from the answers shown.", "ms": "Pilih daripada jawapan yang dipaparkan.",
                            "id": "Pilih dari jawaban yang ditampilkan.", "zh": "请从列出的答案中选择。"},
    "answer_out_of_range": {"en": "Choose a number from {low} to {high}.", "ms": "Pilih nombor dari {low} hingga {high}.",
                            "id": "Pilih angka dari {low} sampai {high}.", "zh": "请选择 {low} 到 {high} 之间的数字。"},
    "answer_yes_or_no": {"en": "Choose yes or no.", "ms": "Pilih ya atau tidak.", "id": "Pilih ya atau tidak.",
                         "zh": "请选择“是”或“否”。"},
    "answer_empty": {"en": "Write your answer.", "ms": "Sila tulis jawapan anda.", "id": "Tulis jawaban Anda.",
                     "zh": "请填写您的答案。"},
    "answer_too_long": {"en": "Keep it to {limit} characters.", "ms": "Hadkan kepada {limit} aksara.",
                        "id": "Batasi hingga {limit} karakter.", "zh": "请不要超过 {limit} 个字符。"},
    "answer_other_text_required": {"en": "Tell us more about “Other”.", "ms": "Sila nyatakan pilihan “Lain-lain” anda.",
                                   "id": "Sebutkan pilihan “Lainnya” Anda.", "zh": "选择“其他”时请说明。"},
    "answer_other_not_chosen": {"en": "Choose “Other” to add your own words.",
                                "ms": "Pilih “Lain-lain” untuk menulis jawapan sendiri.",
                                "id": "Pilih “Lainnya” untuk menulis jawaban sendiri.", "zh": "如需填写说明，请选择“其他”。"},
    "answer_not_shown": {"en": "This question is not part of your survey now.",
                         "ms": "Soalan ini bukan sebahagian daripada tinjauan anda sekarang.",
                         "id": "Pertanyaan ini tidak lagi termasuk dalam survei Anda.", "zh": "此问题目前不在您的问卷中。"},
    "answer_required": {"en": "This question needs an answer.", "ms": "Soalan ini perlu dijawab.",
                        "id": "Pertanyaan ini wajib dijawab.", "zh": "此题为必答题。"},
    "answer_not_taken": {"en": "We could not save that answer; please try again.",
                         "ms": "Jawapan itu tidak dapat disimpan; sila cuba lagi.",
                         "id": "Jawaban itu tidak dapat disimpan; silakan coba lagi.", "zh": "无法保存该答案，请重试。"},
    # SMS conversations: kept GSM-7 in English, Malay and Indonesian (straight quotes only) so one
    # message stays 160 characters; Chinese is UCS-2 whatever we do.
    "sms_how_choice": {"en": "Reply with the number of your answer.", "ms": "Balas dengan nombor jawapan anda.",
                       "id": "Balas dengan nomor jawaban Anda.", "zh": "请回复答案的编号。"},
    "sms_how_choices": {"en": "Reply with one or more numbers, e.g. 1,3.", "ms": "Balas dengan satu atau lebih nombor, cth. 1,3.",
                        "id": "Balas dengan satu atau lebih nomor, mis. 1,3.", "zh": "请回复一个或多个编号，例如 1,3。"},
    "sms_how_other": {"en": "For {n}, add a few words: {n} your reason.", "ms": "Untuk {n}, tambah beberapa perkataan: {n} sebab anda.",
                      "id": "Untuk {n}, tambahkan beberapa kata: {n} alasan Anda.", "zh": "选择 {n} 时请附上说明，例如：{n} 您的原因。"},
    "sms_how_scale": {"en": "Reply {low}-{high} ({low} = {low_label}, {high} = {high_label}).",
                      "ms": "Balas {low}-{high} ({low} = {low_label}, {high} = {high_label}).",
                      "id": "Balas {low}-{high} ({low} = {low_label}, {high} = {high_label}).",
                      "zh": "请回复 {low}-{high}（{low} = {low_label}，{high} = {high_label}）。"},
    "sms_how_number": {"en": "Reply with a number from {low} to {high}.", "ms": "Balas dengan nombor {low} hingga {high}.",
                       "id": "Balas dengan angka {low} sampai {high}.", "zh": "请回复 {low} 到 {high} 之间的数字。"},
    "sms_how_yes_no": {"en": "Reply YES or NO.", "ms": "Balas YA atau TIDAK.", "id": "Balas YA atau TIDAK.",
                       "zh": "请回复“是”或“否”。"},
    "sms_how_open": {"en": "Reply with your answer.", "ms": "Balas dengan jawapan anda.", "id": "Balas dengan jawaban Anda.",
                     "zh": "请直接回复您的答案。"},
    "sms_how_skip": {"en": "Reply SKIP to skip.", "ms": "Balas LANGKAU untuk melangkau.", "id": "Balas LEWATI untuk melewati.",
                     "zh": "回复“跳过”可跳过此题。"},
    "sms_reask": {"en": "Sorry, we didn't get that.", "ms": "Maaf, kami tidak faham.", "id": "Maaf, kami tidak mengerti.",
                  "zh": "抱歉，我们没看懂。"},
    "sms_stop_hint": {"en": "Reply STOP to opt out.", "ms": "Balas STOP untuk berhenti.", "id": "Balas STOP untuk berhenti.",
                      "zh": "回复 STOP 退订。"},
    "sms_ended": {"en": "Thanks for your time, we'll stop here.", "ms": "Terima kasih atas masa anda, kita berhenti di sini.",
                  "id": "Terima kasih atas waktu Anda, kita berhenti di sini.", "zh": "感谢您抽出时间，问卷到此结束。"},
    "sms_opted_out": {"en": "{org}: you will get no more messages from us. Reply START to opt back in.",
                      "ms": "{org}: anda tidak akan menerima mesej lagi daripada kami. Balas START untuk melanggan semula.",
                      "id": "{org}: Anda tidak akan menerima pesan lagi dari kami. Balas START untuk berlangganan lagi.",
                      "zh": "{org}：您将不再收到我们的短信。回复 START 重新订阅。"},
    "sms_opted_in": {"en": "{org}: you can get messages from us again. Reply STOP to opt out.",
                     "ms": "{org}: anda boleh menerima mesej daripada kami semula. Balas STOP untuk berhenti.",
                     "id": "{org}: Anda dapat menerima pesan dari kami lagi. Balas STOP untuk berhenti.",
                     "zh": "{org}：您将重新收到我们的短信。回复 STOP 退订。"},
    "sms_help": {"en": "{org} exit survey. Reply STOP to opt out, START to opt back in.",
                 "ms": "Tinjauan keluar {org}. Balas STOP untuk berhenti, START untuk melanggan semula.",
                 "id": "Survei keluar {org}. Balas STOP untuk berhenti, START untuk berlangganan lagi.",
                 "zh": "{org} 离开问卷。回复 STOP 退订，回复 START 重新订阅。"},
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
