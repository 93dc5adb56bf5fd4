"""The exit-survey concept lexicon: what leaving customers talk about, in en, ms, id and zh.

Each concept lists, per language, the words and phrases that say it, casual forms included. Latin-script
entries are matched on whole words after the same normalisation and light stemming as the texts (so
"prices", "pricing" and "priced" all reach "price", "dibayar" reaches "bayar"); a phrase matches as a run of
words. Chinese entries match as substrings; "…" in one stands for up to three characters of the same
clause ("用…少" matches 用得太少 and 用的人少, not 用，少). An entry starting with "~" is a hint: it counts half, because it
also turns up in answers about other things ("budget", "later", "interface").

Written from general knowledge of why people cancel a SaaS subscription, not from any data set; the
weights below (`OUTRANKS`, the contrast words) follow the theme definitions of the dev set's README and
were checked on its tune half only (docs/themes.md, Figures).
"""

from __future__ import annotations

CONCEPTS: dict[str, dict[str, tuple[str, ...]]] = {
    "price": {
        "en": (
            "expensive", "pricey", "price", "pricing", "cost", "costly", "overpriced", "afford", "affordable",
            "cheaper", "cheap", "fee", "money", "pay", "paying", "charge", "worth", "value for money",
            "price hike", "too much", "per seat", "per user", "discount", "increase", "went up", "go up",
            "quote", "too high", "higher price", "half the price", "~budget", "~dollar", "~usd", "~rm", "~rp", "~free",
            "~renewal", "~invoice", "~higher", "~per month", "~a month", "~per year",
            "price increase", "raised the price", "raised prices", "not worth", "justify the cost", "roi",
            "return on investment", "charged", "overcharged", "expense", "save money", "savings", "~billing",
            "~spend",
            "free plan", "free version", "free tier", "justify",
            "half price",
        ),
        "ms": (
            "mahal", "harga", "kos", "bayar", "bayaran", "yuran", "murah", "mampu", "duit", "wang", "caj",
            "berbaloi", "naik harga", "harga naik", "potongan harga", "diskaun", "terlalu tinggi", "~bajet", "~ringgit",
            "~langganan", "~sebulan", "~setahun",
            "tak mampu", "tak berbaloi", "kos tinggi", "jimat", "penjimatan", "separuh harga", "~bil", "~pakej",
            "tak larat bayar",
            "harga separuh",
        ),
        "id": (
            "mahal", "kemahalan", "harga", "biaya", "bayar", "murah", "uang", "duit", "tarif", "mampu",
            "sanggup", "diskon", "naik harga", "harga naik", "worth it", "kemahalan", "~anggaran", "~rupiah", "~langganan",
            "~sebulan", "~per bulan", "~setahun", "~juta", "~ribu",
            "gak worth", "nggak worth", "sebanding", "hemat", "penghematan", "setengah harga", "ongkos", "~tagihan",
            "~paket",
            "~boros",
            "separuh harga", "harga separuh",
        ),
        "zh": (
            "贵", "价格", "价钱", "费用", "收费", "涨价", "便宜", "成本", "性价比", "划算", "付费", "钱",
            "年费", "月费", "订阅费", "负担", "块钱", "百块", "千块", "一半的价", "~预算", "~值得", "~元", "~每个月", "~每年",
            "~一半",
            "价位", "划不来", "不值", "省钱", "节省", "开支", "支出", "涨了", "付不起", "承担不起", "续费", "~账单",
            "烧钱", "报价", "价码",
            "免费版", "免费的",
            "半价", "一半的钱", "一半价格",
        ),
    },
    "missing_features": {
        "en": (
            "feature", "missing", "lack", "lacking", "integration", "integrate", "export", "import", "api",
            "support for", "doesn t have", "does not have", "didn t have", "no option", "option", "wish",
            "language", "translation", "arabic", "chinese", "malay", "indonesian", "rtl", "right to left",
            "mobile app", "android", "ios", "iphone", "offline", "dark mode", "custom", "customize", "customization",
            "reporting", "~report",
            "template", "sso", "zapier", "salesforce", "hubspot", "slack", "webhook", "plugin", "~sync",
            "limited", "limitation", "functionality", "capability", "roadmap", "can t do", "cannot do",
            "~need", "~pdf", "~csv", "~calendar", "~view",
            "doesn t support", "not available", "wasn t available", "unavailable", "couldn t find", "add on", "addon",
            "extension", "connector", "automation", "workflow", "permissions", "localization", "localisation", "bulk",
            "out of the box", "feature request", "analytics", "~dashboard",
            "no way to", "wish it had", "only supports", "would be nice",
            "not compatible", "incompatible", "compatibility", "english version", "mobile version", "desktop app",
            "doesn t meet our needs", "didn t meet our needs", "not meet our needs", "doesn t meet our requirements",
        ),
        "ms": (
            "ciri", "fungsi", "integrasi", "eksport", "import", "bahasa", "sokongan untuk", "tiada pilihan", "laporan", "templat", "feature", "tak support", "tidak menyokong", "tak ada feature",
            "takde feature", "~tiada", "~takde", "~kurang",
            "tiada fungsi", "automasi", "kemudahan", "mudah alih", "versi mobile", "tak lengkap",
            "kurang lengkap", "tidak lengkap", "tak boleh export", "tak boleh eksport",
            "harap ada", "kalau ada",
            "tak serasi", "tidak serasi", "keserasian", "terjemahan", "bahasa melayu", "bahasa cina", "versi bahasa",
            "tak memenuhi keperluan", "tidak memenuhi keperluan", "tak cukup ciri", "tak sesuai dengan keperluan",
        ),
        "id": (
            "fitur", "fungsi", "integrasi", "ekspor", "impor", "bahasa", "laporan", "templat", "opsi", "belum ada", "belum bisa", "kurang lengkap", "tidak mendukung", "gak support",
            "nggak support", "~gak ada", "~tidak ada", "~nggak ada",
            "fasilitas", "otomatisasi", "versi mobile", "belum tersedia", "tidak tersedia", "gak tersedia",
            "terbatas", "keterbatasan", "kurang fitur", "minim fitur", "tidak bisa ekspor", "gak bisa ekspor",
            "semoga ada", "pengen ada", "harusnya ada", "seharusnya ada", "kalau ada",
            "tidak kompatibel", "gak kompatibel", "kompatibel", "terjemahan", "bahasa indonesia", "versi bahasa",
            "tidak memenuhi kebutuhan", "gak memenuhi kebutuhan", "tidak sesuai kebutuhan", "kurang sesuai kebutuhan",
            "gak sesuai kebutuhan",
        ),
        "zh": (
            "功能", "缺少", "缺乏", "集成", "对接", "导出", "导入", "接口", "中文", "语言", "不支持", "支持",
            "插件", "报表", "模板", "自定义", "定制", "手机版", "安卓", "离线", "多语言", "~同步",
            "没有…功能", "没…功能", "扩展", "自动化", "权限", "移动端", "暂不支持", "还不支持", "接入", "打通", "无法导出", "不能导出",
            "希望有", "希望能", "要是有", "如果有", "做不到", "实现不了", "无法实现",
            "兼容", "英文版", "英文界面", "马来文", "马来语", "印尼文", "印尼语", "翻译", "繁体", "没有…版", "电脑版", "网页版",
            "满足不了", "不能满足", "无法满足", "不满足需求", "不符合需求", "没…选项",
        ),
    },
    "competitor": {
        "en": (
            "switch", "switched", "switching", "moved to", "moving to", "move to", "migrate", "alternative",
            "competitor", "competition", "another tool", "another product", "another provider", "another vendor",
            "another platform", "another app", "other tool", "different tool", "went with", "chose", "choose",
            "found a better", "better option", "replace", "replacement", "instead", "in house", "built our own",
            "typeform", "surveymonkey", "qualtrics", "jotform", "google forms", "microsoft forms", "tally",
            "hotjar", "notion", "airtable", "trello", "asana", "clickup", "basecamp", "zoho", "spreadsheet",
            "excel", "google sheets", "local vendor", "local provider", "~better", "~other", "~moved", "~vendor",
            "switched over", "going with", "signed with", "signed up with", "competitors", "other vendor",
            "other platform", "similar tool", "similar product", "jira", "monday", "zendesk", "freshdesk", "intercom",
            "mailchimp", "google workspace", "microsoft teams",
            "found another", "an alternative", "other solution", "another solution", "another service",
            "another company", "now using",
            "went back to", "going back to", "moved back to",
            "~same features", "~same functionality", "~same thing",
            "~better features", "~more complete",
        ),
        "ms": (
            "tukar", "bertukar", "beralih", "pindah", "berpindah", "pesaing", "alternatif", "sistem lain",
            "platform lain", "apps lain", "app lain", "aplikasi lain", "tool lain", "software lain",
            "produk lain", "syarikat lain", "pembekal lain", "yang lain", "ganti", "pilih", "lebih baik",
            "vendor tempatan", "syarikat tempatan", "~vendor",
            "guna yang lain", "cuba yang lain", "jenama lain", "servis lain", "perkhidmatan lain", "penyedia lain",
            "tempat lain",
            "jumpa yang lebih", "guna produk lain", "sekarang guna",
            "guna lain", "pakai lain", "lagi bagus", "lebih bagus",
            "~ciri yang sama", "~fungsi yang sama", "~benda yang sama",
            "~ciri lebih lengkap", "~fungsi lebih lengkap", "~ciri lebih banyak",
        ),
        "id": (
            "ganti", "pindah", "beralih", "kompetitor", "pesaing", "alternatif", "aplikasi lain", "tool lain",
            "platform lain", "layanan lain", "produk lain", "vendor lain", "sistem lain", "yang lain",
            "pilih", "lebih bagus", "lebih baik", "vendor lokal", "penyedia lokal", "~vendor",
            "pakai yang lain", "aplikasi sebelah", "merek lain", "brand lain", "penyedia lain", "tempat lain",
            "jasa lain",
            "nemu yang", "menemukan yang", "lebih cocok", "sekarang pakai", "udah pakai", "sudah pakai",
            "~fitur yang sama", "~fungsi yang sama", "~hal yang sama",
            "~fitur lebih lengkap", "~fiturnya lebih lengkap", "~fitur lebih banyak",
        ),
        "zh": (
            "换成", "换到", "换了", "改用", "转用", "迁移", "竞品", "竞争对手", "其他工具", "别的工具", "别家",
            "其他平台", "别的平台", "其他产品", "替代", "更好的", "选择了", "自研", "自己开发", "飞书", "钉钉",
            "本地", "表格",
            "换用", "改成", "转向", "转到", "同类产品", "同类", "竞对", "企业微信", "问卷星", "金数据", "腾讯", "别的",
            "用别的", "其他家", "其它家", "另一家", "另外一家", "更适合", "更好用",
            "转投", "另找", "找了别的",
            "~同样的功能", "~一样的功能", "~相同的功能",
            "~功能更多", "~功能更全", "~功能更强", "~更全面",
        ),
    },
    "low_usage": {
        "en": (
            "rarely", "barely", "never used", "don t use", "not using", "didn t use", "stopped using", "hardly",
            "forgot", "forgotten", "forget", "adoption", "adopt", "usage", "use it enough", "unused",
            "no one uses", "nobody uses", "only used", "once a month", "occasional", "don t need",
            "no longer need", "logged in", "log in", "idle", "never got around", "didn t stick", "habit",
            "not enough", "never opened", "haven t opened", "only me", "just me",
            "~nobody", "~no one",
            "not use", "hardly use", "seldom", "infrequent", "not often", "few times", "never really", "wasn t using",
            "weren t using", "didn t need", "no need", "no use for", "collecting dust", "inactive", "dormant",
            "~wasted", "~waste",
            "not used", "no time", "too busy", "never had time", "~busy",
            "lost interest", "much use",
            "once in a while", "haven t used", "hasn t been used", "never caught on",
            "never took off",
        ),
        "ms": (
            "jarang", "tak guna", "tidak guna", "tak pakai", "tidak menggunakan", "lupa", "tak pernah",
            "tidak pernah", "tiada siapa", "tak ada orang", "takde orang", "sekali sekala", "tak perlu",
            "tidak perlu", "kurang guna", "tak sempat", "terbiar", "malas", "tak buka", "jarang buka", "tak nak guna",
            "tak mahu guna",
            "kurang digunakan", "tak berapa guna", "tak banyak guna", "sia sia", "membazir", "bazir", "tak perlukan",
            "tak diperlukan", "tidak diperlukan",
            "tak ada masa", "takde masa", "tiada masa", "~sibuk",
            "sekali dua", "tak aktif", "tidak aktif",
            "saya seorang", "saya sorang", "hanya saya", "cuma saya", "sesekali", "beberapa kali je", "hilang minat",
            "tak minat", "tak ramai guna", "tak ramai yang guna",
            "tak biasa guna", "tak jadi kebiasaan", "beberapa kali sahaja",
        ),
        "id": (
            "jarang", "gak pakai", "nggak pakai", "tidak pakai", "gak dipakai", "nggak dipakai", "tidak dipakai",
            "kepake", "lupa", "gak pernah", "nggak pernah", "tidak pernah", "gak ada yang", "tidak ada yang",
            "nggak ada yang", "gak perlu", "nggak perlu", "tidak perlu", "gak butuh", "nggak butuh",
            "tidak butuh", "nganggur", "mubazir", "sia sia", "males", "malas", "gak kebuka", "nggak kebuka",
            "gak dibuka", "nggak dibuka", "jarang dibuka", "gak mau pakai", "nggak mau pakai", "tidak mau pakai",
            "terbengkalai",
            "kurang dipakai", "gak kepake", "ga kepake", "ga pakai", "gak dibutuhkan", "tidak dibutuhkan",
            "gak sempat", "tidak sempat", "buang buang",
            "gak ada waktu", "nggak ada waktu", "tidak ada waktu", "gak sempet", "nggak sempet", "~sibuk",
            "jarang dipake", "gak dipake", "nggak dipake", "ga dipake", "gak pake", "nggak pake", "ga pake",
            "cuma saya", "hanya saya", "cuma aku", "sesekali", "sekali sekali", "cuma beberapa kali", "hilang minat",
            "gak minat", "nggak minat", "kurang minat", "gak terpakai", "tidak terpakai",
            "gak kepakai", "nggak kepakai",
            "gak jadi kebiasaan", "cuma dipakai", "hanya dipakai", "cuma kepake",
        ),
        "zh": (
            "很少用", "不怎么用", "没怎么用", "用得少", "用不上", "没用过", "没人用", "不常用", "忘了", "忘记",
            "闲置", "用不到", "使用率", "没时间用", "用得不多", "不需要", "浪费", "没打开", "不想用", "一个人用",
            "一个人在用", "只有我",
            "用…少", "用的不多", "很少", "少用", "不用了", "用不着", "不太用", "基本不用", "几乎不用", "没怎么", "吃灰", "积灰", "没空",
            "没时间", "太忙", "~忙",
            "用过几次", "用了几次", "没怎么打开", "很少打开", "一直没用", "没用上", "好久没用", "很久没用", "好久没登录", "很久没登录", "大家都不用", "都不用", "没人在用",
            "不感兴趣", "没兴趣",
            "几乎没用", "基本没用", "没用几次", "只用了一次", "只用过一次", "就用了一次", "没坚持", "坚持不下来", "没养成习惯", "同事不用", "团队不用", "没人愿意用",
            "都没在用", "没在用",
        ),
    },
    "bugs": {
        "en": (
            "bug", "buggy", "crash", "slow", "slowness", "lag", "laggy", "outage", "downtime", "error",
            "broken", "break", "glitch", "freez", "lost data", "data loss", "doesn t work", "didn t work",
            "not working", "stopped working", "unreliable", "reliability", "timeout", "fail", "failure",
            "corrupt", "performance", "unstable", "stability", "went down", "goes down", "keeps crashing",
            "duplicate", "disconnect", "dropped", "drops", "~sync",
            "~issue", "~problem", "~loading", "~lost", "~down",
            "sluggish", "lagging", "hangs", "not loading", "won t load", "load time", "takes forever", "glitchy",
            "flaky", "kept failing", "disappeared", "deleted", "~server", "~offline",
            "can t log in", "couldn t log in", "logged out", "login issue", "login problem", "won t open",
            "doesn t load", "blank page", "white screen",
            "can t use it", "couldn t use it", "can t access", "couldn t access", "closes itself", "always down",
            "unresponsive", "didn t save", "not saved", "lost my work", "export failed", "export fails",
            "sync failed", "sync fails", "failed to export", "failed to sync", "import failed", "not showing",
            "doesn t show up", "didn t show up",
        ),
        "ms": (
            "rosak", "lambat", "lembap", "bug", "ralat", "hang", "crash", "tergendala", "gangguan", "down",
            "data hilang", "hilang", "tak berfungsi", "tidak berfungsi", "error", "tak jalan", "sangkut",
            "masalah teknikal", "putus", "terputus", "berganda",
            "tak boleh buka", "tak boleh login", "gagal", "lembab", "jem", "tersangkut", "tak stabil", "tidak stabil",
            "terpadam", "~masalah", "~server", "~loading",
            "tak boleh masuk", "tak dapat login", "tak boleh log masuk", "skrin putih", "selalu crash",
            "tak boleh guna", "tidak boleh digunakan", "tak dapat guna", "tak boleh akses", "tak dapat akses",
            "tertutup sendiri", "tersekat", "asyik crash", "asyik hang", "lesap",
            "perlahan", "sangat perlahan", "pepijat", "tak responsif", "tidak responsif", "beku", "membeku",
            "isu teknikal", "tak tersimpan", "tidak tersimpan", "tak disimpan", "gagal eksport", "eksport gagal",
            "gagal sync", "tak muncul", "tidak muncul",
        ),
        "id": (
            "lemot", "lambat", "lelet", "error", "bug", "crash", "gak bisa dibuka", "down", "gangguan", "rusak",
            "data hilang", "hilang", "ngelag", "lag", "tidak berfungsi", "gak jalan", "macet", "force close",
            "putus", "terputus", "dobel", "~mati",
            "gak bisa login", "gagal", "nge hang", "ngehang", "hang", "tidak stabil", "gak stabil", "kehilangan data",
            "terhapus", "bermasalah", "~masalah", "~server", "~loading",
            "gak bisa masuk", "nggak bisa masuk", "tidak bisa masuk", "gagal login", "layar putih", "loadingnya lama",
            "eror",
            "gak bisa dipakai", "tidak bisa dipakai", "gak bisa dipake", "ga bisa dipake", "gak bisa akses",
            "tidak bisa diakses", "ngebug", "nge bug", "keluar sendiri", "tertutup sendiri", "nyangkut",
            "lama loading",
            "tidak responsif", "gak responsif", "masalah teknis", "kendala teknis", "gangguan teknis", "membeku",
            "gak tersimpan", "tidak tersimpan", "nggak tersimpan", "gagal ekspor", "ekspor gagal", "gagal sinkron",
            "gak muncul", "tidak muncul", "nggak muncul", "berhenti sendiri",
        ),
        "zh": (
            "卡顿", "卡死", "很卡", "太卡", "慢", "崩溃", "闪退", "宕机", "故障", "报错", "错误", "bug", "丢失",
            "数据丢失", "不稳定", "出问题", "打不开", "加载", "挂了", "中断", "出错", "失败", "断了", "断线", "掉线",
            "重复", "~问题",
            "老是卡", "经常卡", "总是卡", "太慢", "很慢", "好慢", "无法登录", "登录不了", "登不上", "死机", "用不了", "漏洞", "延迟", "丢数据", "不见了",
            "~服务器", "~速度",
            "登不进", "进不去", "白屏", "黑屏", "一直转圈", "转圈", "掉数据", "数据不见", "不同步", "同步不了",
            "老卡", "总卡", "有点卡", "特别卡", "崩了",
            "访问不了", "无法访问", "无法使用", "没法用", "不能用", "自动退出",
            "没反应", "无响应", "没有反应", "没保存", "保存不了", "导出失败", "同步失败", "导入失败", "导出…失败", "不显示", "显示不出来",
        ),
    },
    "support": {
        "en": (
            "support", "customer service", "reply", "replied", "respond", "no response", "ticket", "helpdesk",
            "help desk", "agent", "rude", "unhelpful", "support staff", "account manager", "get back to", "got back to",
            "waited", "waiting", "live chat", "contact", "nobody answered", "ignored", "~service", "~answer",
            "unresolved", "not resolved", "never resolved", "passed around", "~help", "~wait", "~staff",
            "customer support", "support team", "no reply", "never replied", "never heard back", "didn t hear back",
            "no answer", "response time", "took days", "took weeks", "slow to respond", "chatbot", "unprofessional",
            "attitude", "no help", "escalat", "~human", "~chat",
            "nobody got back", "no one got back", "never got back", "took forever to reply",
            "slow support", "support is slow", "support was slow", "support is so slow", "support too slow",
            "slow to reply", "slow reply", "slow replies", "slow response", "slow responses", "slow to answer",
            "complaint", "complain", "email support", "phone support", "call center", "hotline", "no one helped",
            "nobody helped",
            "slow to get back",
        ),
        "ms": (
            "sokongan", "khidmat pelanggan", "khidmat", "balas", "tak balas", "tiada balasan", "respon",
            "jawab", "kasar", "biadab", "kakitangan", "layan", "tiket", "tunggu", "cs", "lama sangat", "tak selesai",
            "~staf",
            "pasukan sokongan", "perkhidmatan pelanggan", "tak respon", "lambat balas", "lambat respon",
            "tiada respon", "tak dilayan", "sikap", "tak membantu", "tidak membantu", "bantuan", "~hubungi",
            "~tolong",
            "tiada siapa jawab", "tiada siapa balas", "takde siapa jawab", "takde siapa balas", "tak ada siapa balas",
            "cs lambat", "support lambat", "balas lambat", "respon lambat", "sokongan lambat",
            "khidmat pelanggan lambat",
            "aduan", "komplen", "tak berjawab", "tidak berjawab", "talian bantuan", "pusat panggilan",
            "tiada siapa tolong", "takde siapa tolong", "tak ada siapa tolong", "tak ada orang tolong", "ejen",
            "lambat layan", "diabaikan",
            "jawapan", "tiada jawapan", "takde jawapan", "lambat reply", "lambat jawab", "tak reply",
            "lambat nak balas", "lambat nak reply", "lambat nak jawab", "tiada siapa bantu", "takde siapa bantu",
            "tak ada siapa bantu",
        ),
        "id": (
            "cs", "customer service", "layanan pelanggan", "balas", "bales", "respon", "jawab", "kasar",
            "jutek", "admin", "tiket", "nunggu", "tunggu", "bantuan", "tidak membantu", "gak membantu", "lama banget",
            "gak kelar", "nggak kelar", "belum selesai", "dilempar", "~layanan", "~staf",
            "pelayanan", "sikap", "tidak ramah", "gak ramah", "slow respon", "slow response", "komplain", "keluhan",
            "~hubungi", "~tolong", "~chat",
            "gak ada yang bales", "nggak ada yang bales", "tidak ada yang membalas", "tidak ada yang balas",
            "gak ada yang respon",
            "cs lambat", "cs lemot", "respon lambat", "balesnya lama", "balasnya lama", "dibalas lama",
            "layanan lambat",
            "call center", "hotline", "gak ada yang bantu", "tidak ada yang bantu", "gak dibantu", "tidak dibantu",
            "gak ditanggapi", "tidak ditanggapi", "tanggapan", "diabaikan", "dicuekin", "dikacangin",
            "jawaban", "lama reply", "lambat bales", "lama balesnya", "lama dibales", "gak di reply", "gak dibales",
            "nggak dibales", "tidak dibalas",
        ),
        "zh": (
            "客服", "售后", "回复", "回应", "响应", "没人回", "没人理", "不理", "态度", "工单", "等了", "等待",
            "联系不上", "服务差", "技术支持", "敷衍", "没解决", "不解决", "踢皮球", "~服务",
            "服务态度", "态度差", "回得慢", "不回", "没回", "没人管", "找不到人", "联系", "售后服务", "人工", "投诉", "推来推去", "~机器人",
            "找不到客服", "一直没人", "没人回复",
            "客服…慢", "回复…慢", "回得…慢", "响应…慢", "售后…慢",
            "热线", "没人接", "没人帮", "没人处理", "不处理", "处理…慢",
            "回复…太慢", "回得…太慢",
        ),
    },
    "business_change": {
        "en": (
            "company closed", "closing down", "closed down", "shut down", "shutting down", "out of business",
            "bankrupt", "bankruptcy", "acquired", "acquisition", "merger", "merged", "layoff", "laid off",
            "restructuring", "reorganization", "reorg", "budget cut", "budget freeze", "cost cutting",
            "downsizing", "downsized", "project ended", "project was cancelled", "no longer exists",
            "new management", "management decided", "parent company", "company policy", "headquarters", "hq",
            "leadership", "funding", "pivot", "business closed", "went under", "disbanded", "retired",
            "retiring", "sold the business", "sold our", "contract ended", "~company", "~closed", "~management",
            "~department",
            "company is closing", "we are closing", "closing our", "wound down", "winding down", "liquidat",
            "ceased operations", "acquired by", "bought by", "merging", "lay off", "let go", "restructure",
            "downsize", "budget cuts", "cutting costs", "cost reduction", "spending freeze", "hiring freeze",
            "new owner", "new ceo", "head office", "corporate", "mandate",
            "project is over", "project finished", "lost our client", "recession", "~policy", "~procurement",
            "~economy",
            "closing the business", "closed our business", "business is closing", "ran out of money",
            "ran out of funding", "lost funding", "no budget", "budget was cut", "budget got cut", "cut our budget",
            "cut the budget", "~boss",
            "winding up", "closing shop", "lost the contract",
            "dissolved", "project cancelled", "project canceled", "project was canceled",
            "sales dropped", "revenue dropped", "business is slow", "business was slow", "sold the company",
        ),
        "ms": (
            "tutup", "ditutup", "syarikat tutup", "bankrap", "muflis", "bergabung", "penggabungan",
            "diambil alih", "pengambilalihan", "buang kerja", "diberhentikan", "pemberhentian", "bajet dipotong",
            "potong bajet", "potongan bajet", "pembekuan", "projek tamat", "pengurusan", "syarikat induk",
            "ibu pejabat", "dasar syarikat", "polisi syarikat", "penstrukturan", "bersara", "tamat kontrak",
            "kontrak tamat", "~tamat", "~syarikat",
            "syarikat ditutup", "gulung tikar", "perniagaan tutup", "bisnes tutup", "berhenti operasi",
            "henti operasi", "syarikat dijual", "pemilik baru", "bos baru", "pengurusan baru", "arahan syarikat",
            "keputusan syarikat", "projek habis", "projek selesai", "bajet dibekukan", "bajet dikurangkan",
            "pemotongan kos", "kurangkan kos", "~arahan", "~ekonomi",
            "tiada bajet", "takde bajet", "tak ada bajet", "~dana", "~bos",
            "buang pekerja",
            "bubar", "dibubarkan", "projek dibatalkan", "projek dihentikan", "putus kontrak", "kehabisan dana",
            "dana habis", "digabungkan", "~jabatan", "~majikan",
            "dipecat", "bajet habis", "jualan merosot", "perniagaan merosot", "bisnes slow", "bisnes merosot",
            "pengecilan syarikat",
        ),
        "id": (
            "tutup", "bangkrut", "pailit", "merger", "diakuisisi", "akuisisi", "phk", "dirumahkan",
            "restrukturisasi", "budget dipotong", "anggaran dipotong", "pemotongan anggaran", "proyek selesai",
            "proyek berakhir", "manajemen", "kantor pusat", "induk perusahaan", "kebijakan perusahaan",
            "gulung tikar", "berhenti beroperasi", "efisiensi", "pensiun", "kontrak habis", "kontrak selesai",
            "~perusahaan",
            "perusahaan tutup", "kantor tutup", "usaha tutup", "bisnis tutup", "pemilik baru", "bos baru",
            "manajemen baru", "direksi", "keputusan kantor", "keputusan perusahaan", "proyek beres",
            "anggaran dipangkas", "budget dipangkas", "pemangkasan", "pengurangan karyawan", "resesi", "~kebijakan",
            "~instruksi", "~ekonomi",
            "gak ada budget", "nggak ada budget", "tidak ada anggaran", "~dana", "~pendanaan", "~bos",
            "~pimpinan",
            "bubar", "dibubarkan", "proyek dibatalkan", "proyek dihentikan", "putus kontrak", "kehabisan dana",
            "dana habis", "pemotongan biaya", "anggaran dibekukan", "budget dibekukan", "digabung", "bergabung",
            "penggabungan", "diambil alih", "~divisi", "~departemen",
            "dipecat", "perampingan", "budget habis", "anggaran habis", "proyek sudah selesai", "proyek udah selesai",
            "proyek kelar", "proyeknya udah kelar", "perusahaan dijual", "usaha dijual", "omzet turun",
            "penjualan turun", "bisnis lagi sepi", "usaha lagi sepi",
        ),
        "zh": (
            "倒闭", "关闭", "关门", "破产", "合并", "收购", "裁员", "重组", "预算削减", "预算冻结", "砍预算",
            "削减预算", "项目结束", "项目取消", "公司决定", "管理层", "总部", "母公司", "集团", "公司政策",
            "解散", "停业", "退休", "转型", "合同到期", "部门没了", "~部门",
            "公司没了", "业务调整", "业务收缩", "缩减", "削减", "预算被砍", "被砍", "冻结", "被收购", "并购", "新老板", "总公司", "公司规定", "项目做完", "项目完成",
            "不景气", "停止运营", "注销", "~领导", "~上级",
            "公司关了", "不干了", "没预算", "没有预算", "预算没了", "资金", "融资", "~经费",
            "不做了",
            "散伙", "被合并", "项目停了", "项目黄了", "经费不足",
            "生意不好", "业绩下滑", "营收下降", "公司卖了", "被卖了",
        ),
    },
    "temporary": {
        "en": (
            "for now", "temporarily", "temporary", "pause", "come back", "be back", "coming back", "next year",
            "next season", "season", "seasonal", "off season", "one project", "one off", "one event",
            "only needed", "just needed", "in the future", "resubscribe", "for a while", "short term",
            "conference", "~later", "~return", "~again", "~until", "~event", "~holiday", "~campaign",
            "~break", "~summer", "~winter",
            "for the time being", "a few months", "couple of months", "take a break", "taking a break", "on hold",
            "hold off", "busy season", "low season", "slow season", "one time", "single project", "will be back",
            "we ll be back", "resume", "reactivate", "semester", "~christmas", "~ramadan",
            "next month", "next quarter", "when we need", "when needed", "if we need", "maybe later", "back in",
        ),
        "ms": (
            "buat masa ini", "buat sementara", "sementara", "berhenti sekejap", "rehat", "akan kembali",
            "balik semula", "tahun depan", "musim", "bermusim", "satu projek", "majlis", "acara", "guna semula",
            "langgan semula", "cuti", "~nanti", "~kembali", "~event", "~raya",
            "sementara waktu", "sekejap", "untuk sementara", "rehat dulu", "berhenti dulu", "stop dulu",
            "sambung balik", "sambung semula", "guna balik", "langgan balik", "bulan depan", "lepas raya",
            "hujung tahun", "cuti sekolah", "semester", "sekali je", "sekali sahaja",
            "bila perlu", "nanti kalau", "lain kali", "bulan hadapan", "tahun hadapan",
            "bulan puasa", "~puasa",
        ),
        "id": (
            "sementara", "untuk sementara", "jeda", "berhenti dulu", "stop dulu", "balik lagi", "tahun depan",
            "musim", "musiman", "satu proyek", "acara", "liburan", "libur", "lebaran", "langganan lagi",
            "pakai lagi", "~nanti", "~kembali", "~event", "~dulu",
            "sementara waktu", "istirahat dulu", "berhenti sementara", "vakum", "kembali lagi", "bulan depan",
            "setelah lebaran", "habis lebaran", "akhir tahun", "semester", "sekali pakai", "sekali aja", "cuma buat",
            "hanya untuk",
            "kalau perlu", "kalau butuh", "kapan kapan", "lain kali",
            "~puasa",
        ),
        "zh": (
            "暂时", "暂停", "先停", "以后", "之后再", "回来", "再用", "明年", "下个季度", "淡季", "旺季",
            "季节", "一个项目", "一次性", "活动", "只是为了", "只需要", "短期", "假期", "春节", "过年",
            "停一段时间", "一段时间", "先不用", "暂时不用", "过段时间", "等…再", "下次", "下半年", "年后", "节后", "寒假", "暑假", "学期", "用完了", "活动结束",
            "展会", "临时",
            "需要的时候", "有需要", "等需要", "下个月", "过阵子", "过一阵",
        ),
    },
    "complexity": {
        "en": (
            "complicated", "complex", "confusing", "confused", "hard to use", "difficult to use", "difficult",
            "learning curve", "steep", "onboarding", "setup", "set up", "too many", "steps", "intuitive",
            "unintuitive", "user friendly", "usability", "clunky", "cluttered", "overwhelming", "overwhelmed",
            "figure out", "training", "tutorial", "documentation", "navigate", "navigation", "configuration",
            "configure", "~hard", "~understand", "~interface", "~ui", "~ux", "~menu", "~simple", "~easy",
            "~easier", "~docs", "techy", "tech savvy", "not technical",
            "hard to learn", "hard to navigate", "hard to find", "couldn t figure", "not easy", "overkill",
            "too advanced", "too many features", "too many options", "bloated", "messy", "unclear",
            "counterintuitive", "confuse", "layout", "time consuming", "tedious", "cumbersome", "~frustrating",
            "~design",
            "too technical", "hard to set", "took ages",
            "overcomplicated", "too many clicks", "~learn",
            "hard to understand", "instructions", "~guide", "~manual",
            "so many options", "~inconvenient", "not practical",
        ),
        "ms": (
            "rumit", "susah", "sukar", "tak faham", "tidak faham", "keliru", "mengelirukan", "pening", "langkah",
            "tetapan", "belajar", "latihan", "antara muka", "mesra pengguna", "leceh", "renyah", "kompleks",
            "serabut", "payah", "~setup", "~tutorial",
            "susah guna", "sukar digunakan", "tak mesra", "tidak mesra", "pening kepala", "makan masa", "reka bentuk",
            "paparan", "konfigurasi", "tak reti", "tak tahu guna", "tak pandai", "memeningkan", "~menu",
            "tak tahu nak guna", "tak tau guna",
            "terlalu banyak ciri", "terlalu banyak fungsi", "banyak sangat fungsi", "panduan", "tak tahu macam mana",
            "terlalu banyak pilihan", "ciri terlalu banyak", "fungsi terlalu banyak", "tak praktikal",
            "tidak praktikal", "kurang praktikal",
        ),
        "id": (
            "ribet", "rumit", "susah", "sulit", "bingung", "membingungkan", "gak ngerti", "nggak ngerti",
            "tidak mengerti", "gak paham", "nggak paham", "tidak paham", "kompleks", "ruwet", "pelatihan",
            "antarmuka", "pengaturan", "repot", "~tampilan", "~setting", "~setup", "~tutorial", "~belajar",
            "susah dipakai", "susah dipahami", "sulit dipahami", "bikin bingung", "makan waktu", "konfigurasi",
            "gak ngerti", "ga ngerti", "gaptek", "njelimet", "belibet", "pusing", "memusingkan", "~menu", "~desain",
            "gak tau caranya", "nggak tau caranya", "tidak tahu caranya",
            "terlalu banyak fitur", "kebanyakan fitur", "panduan", "dokumentasi", "gak tahu cara", "nggak tahu cara",
            "terlalu banyak pilihan", "fitur terlalu banyak", "fiturnya terlalu banyak", "terlalu banyak menu",
            "gak praktis", "tidak praktis", "kurang praktis",
        ),
        "zh": (
            "复杂", "难用", "不好用", "太难", "难上手", "上手", "学习成本", "看不懂", "搞不懂", "不会用", "繁琐",
            "麻烦", "混乱", "不直观", "培训", "教程", "步骤", "学不会", "不太会用", "~会用", "~操作", "~界面", "~设置", "~配置",
            "太复杂", "不会操作", "操作复杂", "操作麻烦", "看不明白", "不明白", "不懂", "难懂", "难学", "费劲", "头疼", "不友好", "体验差", "入门", "新手",
            "搞不定", "不知道怎么",
            "学不来", "用不来", "不会弄", "弄不懂",
            "功能…太多", "太多功能", "说明书", "帮助文档", "~文档", "使用说明", "不知道在哪", "找不到在哪", "难操作",
            "选项太多", "太多选项", "菜单太多", "功能太杂", "不顺手", "~不方便", "不好找", "很难找", "找半天", "不知道…在哪",
        ),
    },
    "privacy": {
        "en": (
            "privacy", "security", "gdpr", "compliance", "data protection", "personal data", "secure",
            "breach", "leak", "audit",
        ),
        "ms": ("privasi", "keselamatan data", "perlindungan data", "data peribadi", "pdpa"),
        "id": ("privasi", "keamanan", "keamanan data", "perlindungan data", "data pribadi", "bocor"),
        "zh": ("隐私", "安全", "数据安全", "合规", "泄露", "个人信息"),
    },
}

# When an answer names both concepts of a pair, the first is what it is about and the second counts at
# `YIELD_SHARE`: cheaper elsewhere is a price answer ("same thing, half the price"), and a parent company or a
# client moving everyone to a named tool is a competitor answer, not a business change.
OUTRANKS: tuple[tuple[str, str], ...] = (("price", "competitor"), ("competitor", "business_change"))
YIELD_SHARE = 0.5

# Words that turn to the point ("the app is fine, but nobody on the team uses it"): a concept named before
# the first one counts at `CONCEDED_SHARE` when another is named after it. Latin words match whole, Chinese
# ones as substrings.
CONTRAST_MARKERS: frozenset[str] = frozenset(
    {"but", "however", "though", "tapi", "tetapi", "namun", "cuma", "但", "但是", "可是", "不过", "就是"}
)
CONCEDED_SHARE = 0.6

# Short forms of chat writing, read as the words they stand for before matching ("gk pake" is "gak pake",
# "xleh" is "tak boleh", "dont" is "don t"). Malay also glues "x" (tak) to the next word: "xfaham", "xguna".
SHORT_FORMS: dict[str, str] = {
    # English
    "dont": "don t", "doesnt": "doesn t", "didnt": "didn t", "cant": "can t", "wont": "won t", "isnt": "isn t",
    "wasnt": "wasn t", "havent": "haven t", "couldnt": "couldn t", "u": "you", "ur": "your", "bc": "because",
    "cuz": "because", "coz": "because",
    # Malay
    "tk": "tak", "nk": "nak", "dh": "dah", "sbb": "sebab", "yg": "yang", "utk": "untuk", "tlg": "tolong",
    "mcm": "macam", "org": "orang", "sy": "saya", "dgn": "dengan", "tp": "tapi", "tpi": "tapi", "jd": "jadi",
    "lg": "lagi", "blh": "boleh", "leh": "boleh", "bkn": "bukan", "sgt": "sangat", "mmg": "memang",
    "kalo": "kalau", "xleh": "tak boleh", "xnak": "tak nak", "xda": "tak ada",
    # Indonesian
    "gk": "gak", "ngga": "nggak", "engga": "enggak", "tdk": "tidak", "sdh": "sudah", "udh": "udah",
    "blm": "belum", "krn": "karena", "bgt": "banget", "jg": "juga", "bs": "bisa", "gmn": "gimana",
    "dr": "dari",
}
SHORT_NOT = "x"

# "No <something>" says something is missing: these words, or these followed by "ada" ("tak ada X").
ABSENCE_CONCEPT = "missing_features"
ABSENCE_WORDS: frozenset[str] = frozenset({"no", "without", "takde", "tiada", "xde"})
ABSENCE_PAIRS: frozenset[str] = frozenset({"tak", "tiada", "tidak", "gak", "nggak", "ga", "belum", "x"})

# Words that say nothing about a theme: left out of theme labels and bridge words, and only ever matched as
# the first word of a phrase ("no one", "not using", "for now").
_STOPWORD_TEXT = """
    a an the and or but if so to of in on at for from with by as is are was were be been being it its it s
    this that these those we our us you your they their them i me my he she his her not no nor too very just
    really only also any all some more most much many can could would should will shall may might do does did
    done have has had get got getting there here what which who whom why how when where than then into out up
    about over after before again because while am im don t s ve ll re d doesn didn isn wasn aren won can t
    cannot anymore anything everything something nothing thing things lot lots bit even still already yet
    ini itu dan atau tapi tetapi kalau jika untuk dari dengan di ke pada yang ada tak tidak bukan sudah dah
    udah telah akan masih lagi juga je aja saja sahaja sangat banget sekali amat kami kita saya aku gue gua
    dia mereka kamu awak anda ni tu nih tuh lah kah pun sih dong deh kok ya yah pun nak mau ingin hendak
    boleh bisa dapat jadi buat bikin karena kerana sebab oleh sebagai seperti macam kayak cuma hanya semua
    banyak sikit sedikit lebih kurang punya apa siapa mana bila kapan bagaimana gimana camne nya gak nggak
    ga engga enggak takde tiada x
    的 了 是 我 我们 你 你们 他 她 它 他们 在 和 与 也 就 都 而 及 着 或 一个 没有 不 很 太 吧 啊 呢 吗 这 那
    这个 那个 有 要 会 能 还 又 把 被 让 给 对 从 到 说 去 过 得 地 之 其 并 但 但是 因为 所以 如果 已经 还是
    """
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_TEXT.split())
