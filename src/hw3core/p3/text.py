"""The Persian sentences of the P3 chapter that depend on what was run, measured, or missing.

Whether a paragraph can state an accuracy depends on the profile (smoke networks are
random) and on whether the pretrained weights were available; what it says depends on
the numbers (which backbone won, whether the largest one did). Each function here
takes those facts and returns the Markdown that fits them, or "" where the chapter
shows nothing, so the chapter never states what its own tables contradict or a number
it does not have. They are tested branch by branch in tests/p3/test_text.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable

from .. import chapter
from ..cache import Artifacts
from ..profiles import Profile
from ..prose import IS, judged
from ..stats import Comparison
from .flowers import CROP_RATIO, CROP_SCALE, FLOWERS_CLASSES, OFFICIAL_SPLIT_SIZES
from .tables import feature_width, final_table
from .weights import BACKBONES, MissingWeights

Outcome = Artifacts | MissingWeights


@dataclass(frozen=True)
class SplitFacts:
    """The dataset's numbers as the chapter writes them inline."""

    sizes: dict[str, str]  # images of each official split
    per_class: str  # training images per class
    scale: list[str]  # the random crop's area, % of the image
    ratio: list[str]  # its aspect-ratio range, as fractions
    width: dict[str, str]  # each backbone's feature width


def split_facts() -> SplitFacts:
    return SplitFacts(
        sizes={split: chapter.number(n) for split, n in OFFICIAL_SPLIT_SIZES.items()},
        per_class=chapter.number(OFFICIAL_SPLIT_SIZES["train"] / len(FLOWERS_CLASSES)),
        scale=[f"{100 * x:.0f}" for x in CROP_SCALE],
        ratio=[str(Fraction(x).limit_denominator(10)) for x in CROP_RATIO],
        width={name: chapter.number(feature_width(name)) for name in BACKBONES},
    )


def smoke_warning(profile: Profile) -> str:
    """The callout that says the networks are random under smoke (nothing otherwise)."""
    if profile != "smoke":
        return ""
    return (
        "::: {.callout-warning}\n## شبکه‌های تصادفی در پروفایل smoke\n"
        "در این اجرا هیچ وزن ازپیش‌آموزش‌دیده‌ای بارگذاری نشده است: MobileNetV2، VGG16 و ResNet50 با مقداردهی اولیهٔ"
        " **تصادفی** ساخته شده‌اند و داده‌ها مصنوعی‌اند؛ فقط مسیر کد آزموده می‌شود و پیش‌بینی‌ها و دقت‌ها معنایی ندارند.\n:::\n"
    )


def stand_in_warning() -> str:
    """The banner over any P3 output made with stand-in weights (weights.save_stand_in), never a real result."""
    return (
        "::: {.callout-warning}\n## STAND-IN WEIGHTS — NOT REAL RESULTS\n"
        "وزن‌های «ازپیش‌آموزش‌دیده» در این اجرا **تصادفی‌اند** (جانشین آزمایشی فایل‌های ImageNet، با همان نام فایل):"
        " فقط مسیر بارگذاری و کد آزموده می‌شود و هیچ عدد، جدول یا جمله‌ای در زیر نتیجهٔ واقعی نیست.\n:::\n"
    )


def missing_reason(missing: MissingWeights) -> str:
    """Why the weights are missing, in Persian: offline, an unreadable file, or a failed download."""
    if missing.reason.startswith("HW3_OFFLINE"):
        return "`HW3_OFFLINE` روشن است و بارگیری امتحان نشد"
    if missing.reason.startswith("corrupt file"):
        where = f"{missing.searched[0]}/{missing.file}" if missing.searched else missing.file
        return f"فایل `{where}` هست ولی خوانده نمی‌شود (ناقص یا خراب است)؛ پاکش کنید و دوباره بسازید"
    return f"بارگیری نشد (`{missing.reason}`)"


def missing_note(missing: Iterable[MissingWeights]) -> str:
    """The chapter's one note on absent pretrained weights: which files, why, what is not
    shown and where to put them; nothing when every file was there.

    One note for the chapter rather than one per section: the reader learns once what
    is missing, and each section shows what it can without the weights.
    """
    files = {m.file: m for m in missing}
    if not files:
        return ""
    items = "".join(f"- {m.title}: `{m.file}`؛ {missing_reason(m)}.\n" for m in files.values())
    return (
        "::: {.callout-important}\n## وزن‌های ازپیش‌آموزش‌دیده در دسترس نیستند\n"
        "وزن‌های ImageNet این شبکه‌ها در این محیط پیدا نشد:\n\n"
        + items
        + "\nهرچه به این وزن‌ها نیاز ندارد در فصل آمده است (معماری، تصویر آزمون و پیش‌پردازش آن، شمار پارامترها و پهنای"
        " ویژگی‌ها، و آموزش از صفر)؛ پیش‌بینی‌ها و دقت‌های شبکه‌های منجمد نیامده‌اند و هیچ عددی به جای آن‌ها ساخته نشده است."
        " اگر فایل‌ها را در `$TORCH_HOME/hub/checkpoints/` یا `HW3_DATA_DIR/weights/` بگذارید و کتاب را دوباره بسازید، نتیجه‌ها"
        " سر جای خود می‌آیند.\n:::\n"
    )


def prediction_summary(profile: Profile, prediction: Any, classes: int) -> str:
    """(b): the most probable class and how much the top three hold (nothing for random networks).

    `prediction` is `architecture.top_k`'s table (None without weights); `classes` is
    how many ImageNet classes share the probability.
    """
    if profile == "smoke":
        return ""
    if prediction is None:
        return (
            "یافتن سه کلاس محتمل به وزن‌های ازپیش‌آموزش‌دیدهٔ MobileNetV2 نیاز دارد که در این اجرا در دسترس نیستند (یادداشت آغاز فصل)؛"
            " شکل بالا تصویر و همان ورودی پیش‌پردازش‌شده‌ای را نشان می‌دهد که به شبکه داده می‌شد."
        )
    top = prediction.iloc[0]
    return (
        f"شبکه محتمل‌ترین کلاس را «{top['class']}» با احتمال {100 * top['probability']:.1f} درصد می‌داند و سه کلاس نخست"
        f" روی‌هم {100 * prediction['probability'].head(3).sum():.1f} درصد احتمال را دارند؛ بقیهٔ احتمال میان"
        f" {classes - 3} کلاس دیگر پخش شده است. کلاس‌های نزدیک به هم در ImageNet (مثلاً چند نژاد گربه) ظاهری"
        " بسیار شبیه دارند و احتمال را میان خود تقسیم می‌کنند."
    )


def quick_features_note(profile: Profile, cfg: dict[str, Any]) -> str:
    """(c): what the quick profile leaves out of a frozen run (`cfg`: its config)."""
    if profile != "quick":
        return ""
    return (
        f"در پروفایل quick، برای آن‌که استخراج ویژگی روی CPU شدنی بماند، فقط {cfg['features']['augmented_copies']} نسخهٔ افزوده"
        f" ساخته می‌شود و آزمون روی {cfg['data']['per_class']['test']} تصویر از هر کلاس (زیرمجموعه‌ای ثابت از"
        " تقسیم رسمی) انجام می‌شود؛ آموزش و اعتبارسنجی کامل‌اند."
    )


def frozen_final(outcome: Outcome) -> str:
    """(c): the final losses and accuracies of frozen MobileNetV2, with their one-line introduction."""
    if isinstance(outcome, MissingWeights):
        return ""
    return (
        "زیان (آنتروپی متقاطع) و دقت نهایی MobileNetV2 منجمد (بهترین epoch از نظر اعتبارسنجی) روی آموزش (برش مرکزی، بدون داده‌افزایی)، اعتبارسنجی و آزمون:\n\n"
        + chapter.table(final_table({"MobileNetV2 (frozen)": outcome}), digits=3).data
    )


def accuracy_analysis(
    profile: Profile, summaries: dict[str, dict[str, float]], totals: dict[str, int], per_class: str, against_best: dict[str, Comparison]
) -> str:
    """(d): which frozen backbone is most accurate, whether the others are behind it beyond
    noise, whether it is the largest, and the train-test gaps.

    `summaries` holds `tables.frozen_summaries` (accuracies in %, only the backbones with
    a result); `totals` the parameters of every backbone; `per_class` the training
    images per class, as written in the chapter; `against_best` each other backbone's
    run against the most accurate one's on the test images (`tables.against_best`).
    """
    if profile == "smoke":
        return "**تحلیل دقت.** در پروفایل smoke هر سه بدنه تصادفی‌اند و داده مصنوعی است، پس مقایسهٔ دقت‌ها معنایی ندارد."
    if len(summaries) < len(BACKBONES):
        return (
            "**تحلیل دقت.** مقایسهٔ دقت‌ها به وزن‌های ازپیش‌آموزش‌دیدهٔ هر سه شبکه نیاز دارد که در این اجرا همه‌شان در دسترس"
            " نبودند؛ ستون‌های دقت و زمان @tbl-p3-compare برای آن‌ها خالی مانده است و عددی حدس زده نشده است."
        )
    test = {n: s["test"] for n, s in summaries.items()}
    gap = {n: s["train"] - s["test"] for n, s in summaries.items()}
    timing = {n: s["extraction_seconds"] for n, s in summaries.items()}
    best = max(test, key=test.get)
    largest = max(totals, key=totals.get)
    title = {n: BACKBONES[n].title for n in summaries}
    text = (
        f"**تحلیل دقت.** دقت آزمون برای MobileNetV2، VGG16 و ResNet50 به ترتیب {test['mobilenet_v2']:.1f}،"
        f" {test['vgg16']:.1f} و {test['resnet50']:.1f} درصد است و استخراج ویژگی‌ها برای همین سه به ترتیب"
        f" {timing['mobilenet_v2']:.1f}، {timing['vgg16']:.1f} و {timing['resnet50']:.1f} ثانیه طول کشید. "
    )
    behind = "؛ ".join(f"{title[n]} {judged(c, *IS)}" for n, c in against_best.items())
    text += f"در برابر {title[best]}، که بیشترین دقت را دارد، دقت آزمون {behind}. "
    tied = [n for n, c in against_best.items() if c.verdict == "tie"]
    if tied:
        names = " و ".join(title[n] for n in tied)
        text += (
            f"پس {title[best]} تنها از نظر عدد اول است: اختلافش با {names} در حد نوفه است و این آزمایش میان آن‌ها برنده‌ای"
            " نمی‌شناسد. "
        )
    elif best == largest:
        text += f"بزرگ‌ترین شبکه ({title[largest]}) بهترین ویژگی‌ها را هم داد، ولی با هزینهٔ محاسبه و حافظهٔ بسیار بیشتر. "
    else:
        text += (
            f"بزرگ‌ترین شبکه ({title[largest]}) بهترین نیست: تعداد پارامتر بیشتر به‌خودی‌خود ویژگی بهتری نمی‌دهد؛ آنچه"
            " اهمیت دارد کیفیت و عمومیت بازنمایی‌ای است که شبکه روی ImageNet آموخته است؛ پارامترهای VGG16 هم بیشتر در لایه‌های"
            " تمام‌متصلی‌اند که برای کلاس‌های خود ImageNet تنظیم شده‌اند. "
        )
    return text + (
        f"فاصلهٔ دقت آموزش و آزمون {gap['mobilenet_v2']:.1f}، {gap['vgg16']:.1f} و {gap['resnet50']:.1f} واحد درصد است:"
        f" با {per_class} تصویر از هر کلاس، حتی یک سر خطی هم دادهٔ آموزش را بهتر از دادهٔ تازه جدا می‌کند. هر عدد این بخش از یک"
        " بار آموزش سر (یک seed) است."
    )


def scratch_scope(profile: Profile, cfg: dict[str, Any], full: dict[str, Any], images: dict[str, int]) -> str:
    """(e): how this build's scratch run differs from the full one (`cfg` and `full`: their
    configs; `images`: how many images each split had)."""
    if profile == "full":
        return "این نتایج با پروفایل full و تنظیمات کامل به دست آمده‌اند."
    if profile == "smoke":
        return "در پروفایل smoke داده مصنوعی و آموزش فقط چند گام است؛ اعداد زیر معنایی ندارند."
    per_class = cfg["data"]["per_class"]
    return (
        f"**پروفایل quick (کاهش‌یافته برای CPU دوهسته‌ای):** وضوح ورودی {cfg['model']['input_size']} پیکسل به جای"
        f" {full['model']['input_size']}"
        f" (تصاویر با ضلع {cfg['data']['store']} ذخیره شده‌اند)، {cfg['train']['epochs']} epoch به جای {full['train']['epochs']}، همهٔ"
        f" {images['train']:,} تصویر آموزش، ولی فقط {images['val']:,} تصویر اعتبارسنجی"
        f" ({per_class['val']} از هر کلاس) و {images['test']:,} تصویر آزمون"
        f" ({per_class['test']} از هر کلاس، زیرمجموعه‌ای ثابت و بذردار از تقسیم رسمی)."
        " بنابراین دقت‌ها از دقت آموزش کامل کمترند و تنها روند را نشان می‌دهند."
    )


def scratch_comparison(
    profile: Profile,
    scratch: dict[str, Any],
    frozen: dict[str, Any] | None,
    train_size: str,
    classes: int,
    comparison: Comparison | None,
    sizes: tuple[int, int],
) -> str:
    """(e): what training from scratch reached, measured against frozen MobileNetV2 when it has
    a result, and why the gap is there. `scratch` and `frozen` are the runs' metrics (None:
    no weights); `comparison` is the scratch run against the frozen one on the same test
    images (None without the frozen run); `sizes` the input sizes (px) of the scratch and
    the frozen run, which differ in the reduced profiles."""
    if profile == "smoke":
        return "در پروفایل smoke این مقایسه معنایی ندارد؛ فقط مسیر کد اجرا شده است."
    s = {k: 100 * v["accuracy"] for k, v in scratch["final"].items()}
    text = (
        f"آموزش از صفر پس از {scratch['epochs']} epoch (بهترین epoch: {scratch['best_epoch']}) به دقت"
        f" {s['train']:.1f} درصد روی آموزش، {s['val']:.1f} درصد روی اعتبارسنجی و {s['test']:.1f} درصد روی آزمون رسید"
        f" و {scratch['train_seconds'] / 60:.1f} دقیقه آموزش طول کشید (یک اجرا، یک seed). "
    )
    if scratch["best_epoch"] == scratch["epochs"]:
        text += (
            "بهترین دقت اعتبارسنجی در epoch آخر به دست آمد: آموزش وقتی تمام شد که دقت هنوز بالا می‌رفت، پس این عدد سقف"
            " آموزش از صفر نیست. "
        )
    why = (
        f"{train_size} تصویر آموزشی برای یادگرفتن لبه‌ها، بافت‌ها و اجزای شیء از صفر بسیار کم است، در حالی که بدنهٔ"
        " ازپیش‌آموزش‌دیده این ویژگی‌ها را از بیش از یک میلیون تصویر ImageNet آموخته است و سر خطی فقط باید آن‌ها را برای"
        f" {classes} گونه ترکیب کند. "
    )
    if frozen is None or comparison is None:
        text += (
            "نتیجهٔ MobileNetV2 منجمد در این اجرا نیست (یادداشت آغاز فصل)، پس برتری پیش‌آموزش را این‌جا نمی‌توان اندازه گرفت؛"
            " انتظار ما این است که بزرگ باشد، چون " + why
        )
    else:
        f = {k: 100 * v["accuracy"] for k, v in frozen["final"].items()}
        text += (
            f"همین معماری با بدنهٔ ازپیش‌آموزش‌دیدهٔ منجمد، که تنها سرش آموزش دید، روی همان تصاویر آزمون به {f['test']:.1f} درصد رسید؛"
            f" دقت آموزش از صفر در برابر آن {judged(comparison, *IS)}. "
        )
        scratch_size, frozen_size = sizes
        if scratch_size != frozen_size:
            text += (
                f"این اندازه‌گیری دو تفاوت را با هم دارد: پیش‌آموزش، و وضوح ورودی ({scratch_size} پیکسل برای آموزش از صفر در برابر"
                f" {frozen_size} پیکسل برای بدنهٔ منجمد، تا آموزش از صفر روی CPU شدنی باشد)؛ پس همهٔ این فاصله را نمی‌توان به پیش‌آموزش"
                " نسبت داد. "
            )
        if comparison.verdict == "a":
            text += ("سهمی از این فاصله که از پیش‌آموزش است از داده می‌آید: " if scratch_size != frozen_size else "دلیل این فاصله داده است: ") + why
        elif comparison.verdict == "tie":
            text += "در این اجرا پیش‌آموزش برتری‌ای نشان نداد که از نوفه بیرون باشد. "
        else:
            text += "در این اجرا آموزش از صفر از پیش‌آموزش بهتر بود، خلاف آنچه معمولاً با دادهٔ کم دیده می‌شود. "
    return text + (
        "شبکهٔ تصادفی باید همهٔ پارامترهایش را از همین داده بیاموزد؛ داده‌افزایی، weight decay و label smoothing جلوی حفظ‌کردن را می‌گیرند"
        " اما جای داده را پر نمی‌کنند؛ فاصلهٔ دقت آموزش و اعتبارسنجی در @fig-p3-scratch هم همین را نشان می‌دهد. هزینهٔ"
        " محاسبه هم یکسان نیست: آموزش از صفر در هر epoch گذر رو به جلو و پس‌انتشار را روی کل شبکه انجام می‌دهد، ولی حالت"
        " منجمد پس از یک بار استخراج ویژگی تنها یک لایهٔ تمام‌متصل را آموزش می‌دهد."
    )
