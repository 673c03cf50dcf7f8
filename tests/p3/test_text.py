"""The P3 chapter's sentences follow what was run: each branch is chosen by the profile,
by whether the weights were there, and by the measured numbers it states."""

from types import SimpleNamespace

import pandas as pd
import pytest

from hw3core.p3 import study, text
from hw3core.p3.weights import MissingWeights
from outcomes import A_BETTER, B_BETTER, TIE

MISSING = MissingWeights("ResNet50", "resnet50-0676ba61.pth", ("/torch/hub/checkpoints", "/data/weights"), "OSError")


def run(train: float, val: float, test: float, **metrics) -> SimpleNamespace:
    """Artifacts as the chapter reads them: only `.metrics` (accuracies as fractions)."""
    final = {split: {"loss": 1.0 - acc, "accuracy": acc} for split, acc in (("train", train), ("val", val), ("test", test))}
    return SimpleNamespace(metrics={"final": final, **metrics})


def summaries(test: dict[str, float], train: float = 95.0) -> dict[str, dict[str, float]]:
    return {name: {"train": train, "test": acc, "extraction_seconds": 10.0 * (i + 1)} for i, (name, acc) in enumerate(test.items())}


TOTALS = {"mobilenet_v2": 2_354_534, "vgg16": 134_677_670, "resnet50": 23_717_030}




def test_split_facts_are_the_official_split_as_written_inline():
    facts = text.split_facts()
    assert facts.sizes == {"train": "1,020", "val": "1,020", "test": "6,149"} and facts.per_class == "10"
    assert facts.scale == ["25", "100"] and facts.ratio == ["3/4", "4/3"]
    assert facts.width == {"mobilenet_v2": "1,280", "vgg16": "4,096", "resnet50": "2,048"}


def test_smoke_warning_only_under_smoke():
    assert "callout-warning" in text.smoke_warning("smoke") and "تصادفی" in text.smoke_warning("smoke")
    assert text.smoke_warning("quick") == text.smoke_warning("full") == ""


def test_missing_note_names_each_file_once_with_its_reason_and_where_to_put_them():
    offline = MissingWeights("VGG16", "vgg16-397923af.pth", (), "HW3_OFFLINE is set, no download tried")
    corrupt = MissingWeights("MobileNetV2", "mobilenet_v2-b0353104.pth", (), "corrupt file at /x: delete it and run again (EOFError)")
    note = text.missing_note([MISSING, offline, corrupt, MISSING])
    assert note.startswith("::: {.callout-important}") and note.endswith(":::\n") and note.count("::: {") == 1
    assert note.count("`resnet50-0676ba61.pth`") == 1 and "`vgg16-397923af.pth`" in note and "`mobilenet_v2-b0353104.pth`" in note
    assert "بارگیری نشد (`OSError`)" in note and "`HW3_OFFLINE` روشن است" in note and "خوانده نمی‌شود" in note
    assert "$TORCH_HOME/hub/checkpoints/" in note and "HW3_DATA_DIR/weights/" in note
    assert "no download tried" not in note  # the reason is said in Persian, not as the English message


def test_missing_note_is_nothing_when_every_file_was_there():
    assert text.missing_note([]) == "" and text.missing_note(iter(())) == ""


def test_prediction_summary_states_the_top_class_and_the_mass_of_the_top_three():
    prediction = pd.DataFrame({"rank": [1, 2, 3, 4], "class": ["tabby", "tiger cat", "Egyptian cat", "lynx"], "probability": [0.512, 0.25, 0.1, 0.05]})
    sentence = text.prediction_summary("full", prediction, 1000)
    assert "«tabby»" in sentence and "51.2 درصد" in sentence and f"{100 * (0.512 + 0.25 + 0.1):.1f} درصد" in sentence
    assert "997 کلاس دیگر" in sentence
    assert text.prediction_summary("smoke", prediction, 1000) == ""  # random network: nothing to say
    without = text.prediction_summary("full", None, 1000)  # no weights: a pointer to the note, no number
    assert "یادداشت آغاز فصل" in without and not any(ch.isdigit() for ch in without.replace("MobileNetV2", ""))


def test_quick_features_note_reads_the_config():
    cfg = study.frozen_config("quick", "mobilenet_v2")
    note = text.quick_features_note("quick", cfg)
    assert f"فقط {cfg['features']['augmented_copies']} نسخهٔ افزوده" in note and f"روی {cfg['data']['per_class']['test']} تصویر" in note
    assert text.quick_features_note("full", study.frozen_config("full", "mobilenet_v2")) == ""
    assert text.quick_features_note("smoke", study.frozen_config("smoke", "mobilenet_v2")) == ""


def test_frozen_final_is_a_table_of_the_run_or_nothing_without_weights():
    shown = text.frozen_final(run(0.97, 0.88, 0.86))
    assert "MobileNetV2 (frozen)" in shown and "86.000" in shown and shown.count("\n|") >= 4
    assert text.frozen_final(MISSING) == ""


def test_accuracy_analysis_under_smoke_and_with_missing_weights_states_no_number():
    smoke = text.accuracy_analysis("smoke", summaries({"mobilenet_v2": 30.0, "vgg16": 20.0, "resnet50": 25.0}), TOTALS, "10", {})
    missing = text.accuracy_analysis("quick", summaries({"mobilenet_v2": 80.0}), TOTALS, "10", {})
    assert "smoke" in smoke and "@tbl-p3-compare" in missing
    assert not any(ch.isdigit() for ch in smoke.replace("@tbl-p3-compare", "")) and "80.0" not in missing


def test_accuracy_analysis_names_the_best_and_whether_it_is_the_largest():
    behind = {"mobilenet_v2": A_BETTER, "resnet50": A_BETTER}
    vgg_best = text.accuracy_analysis("full", summaries({"mobilenet_v2": 80.0, "vgg16": 85.5, "resnet50": 84.0}), TOTALS, "10", behind)
    resnet_best = text.accuracy_analysis(
        "full", summaries({"mobilenet_v2": 80.0, "vgg16": 78.0, "resnet50": 86.0}, train=99.0), TOTALS, "10", {"mobilenet_v2": A_BETTER, "vgg16": A_BETTER}
    )
    assert "در برابر VGG16، که بیشترین دقت را دارد" in vgg_best and "بهترین ویژگی‌ها را هم داد" in vgg_best
    assert "MobileNetV2" in vgg_best.split("که بیشترین دقت را دارد")[1] and "پایین‌تر است" in vgg_best
    assert "در برابر ResNet50" in resnet_best and "(VGG16) بهترین نیست" in resnet_best
    assert "80.0، 78.0 و 86.0 درصد" in resnet_best and "10.0، 20.0 و 30.0 ثانیه" in resnet_best
    assert f"{99.0 - 80.0:.1f}، {99.0 - 78.0:.1f} و {99.0 - 86.0:.1f} واحد درصد" in resnet_best and "با 10 تصویر" in resnet_best
    assert "یک seed" in resnet_best


def test_accuracy_analysis_names_no_winner_when_the_best_is_within_noise_of_another():
    tied = text.accuracy_analysis(
        "full", summaries({"mobilenet_v2": 85.0, "vgg16": 78.0, "resnet50": 85.4}), TOTALS, "10", {"mobilenet_v2": TIE, "vgg16": A_BETTER}
    )
    assert "برنده‌ای" in tied and "اختلافش با MobileNetV2 در حد نوفه" in tied
    assert "بهترین ویژگی‌ها را هم داد" not in tied and "بهترین نیست" not in tied


@pytest.mark.parametrize("profile", ["full", "smoke"])
def test_scratch_scope_of_full_and_smoke_is_one_fixed_sentence(profile):
    scope = text.scratch_scope(profile, study.scratch_config(profile), study.scratch_config("full"), {"train": 1, "val": 1, "test": 1})
    assert profile in scope and "quick" not in scope


def test_scratch_scope_of_quick_states_what_was_reduced():
    cfg, full = study.scratch_config("quick"), study.scratch_config("full")
    scope = text.scratch_scope("quick", cfg, full, {"train": 1020, "val": 510, "test": 1020})
    assert f"وضوح ورودی {cfg['model']['input_size']} پیکسل به جای {full['model']['input_size']}" in scope
    assert f"{cfg['train']['epochs']} epoch به جای {full['train']['epochs']}" in scope
    assert "1,020 تصویر آموزش" in scope and "510 تصویر اعتبارسنجی" in scope and f"({cfg['data']['per_class']['val']} از هر کلاس)" in scope


def test_scratch_comparison_states_the_measured_gain_of_pretraining_only_when_measured():
    scratch = run(0.9, 0.40, 0.35, epochs=30, best_epoch=27, train_seconds=600.0).metrics
    frozen = run(0.97, 0.88, 0.86).metrics
    compared = text.scratch_comparison("quick", scratch, frozen, "1,020", 102, A_BETTER, (224, 224))
    alone = text.scratch_comparison("quick", scratch, None, "1,020", 102, None, (96, 224))
    assert "پس از 30 epoch (بهترین epoch: 27)" in compared and "10.0 دقیقه" in compared and "یک seed" in compared
    assert "86.0 درصد" in compared and "پایین‌تر است" in compared and "یادداشت آغاز فصل" not in compared
    assert "یادداشت آغاز فصل" in alone and "واحد درصد" not in alone and "35.0 درصد روی آزمون" in alone
    assert "دلیل این فاصله" in compared and "دلیل این فاصله" not in alone  # no gap is referred to that is not shown
    assert "انتظار ما" in alone and "انتظار" not in compared  # a measured gap is stated as a measurement
    assert "1,020 تصویر آموزشی" in alone and "برای 102 گونه" in alone
    assert "وضوح ورودی" not in compared  # same input size: no confound to state
    assert "smoke" in text.scratch_comparison("smoke", scratch, frozen, "1,020", 102, A_BETTER, (224, 224))


def test_scratch_comparison_says_when_training_stopped_while_still_improving():
    rising = text.scratch_comparison("quick", run(0.99, 0.45, 0.43, epochs=70, best_epoch=70, train_seconds=900.0).metrics, None, "1,020", 102, None, (96, 224))
    levelled = text.scratch_comparison("quick", run(0.99, 0.45, 0.43, epochs=70, best_epoch=61, train_seconds=900.0).metrics, None, "1,020", 102, None, (96, 224))
    assert "هنوز بالا می‌رفت" in rising and "سقف" in rising
    assert "هنوز بالا می‌رفت" not in levelled


def test_scratch_comparison_states_a_difference_of_resolution_as_a_confound():
    scratch = run(0.9, 0.40, 0.35, epochs=70, best_epoch=66, train_seconds=600.0).metrics
    confounded = text.scratch_comparison("quick", scratch, run(0.97, 0.88, 0.86).metrics, "1,020", 102, A_BETTER, (96, 224))
    assert "96 پیکسل" in confounded and "224 پیکسل" in confounded and "نمی‌توان به پیش‌آموزش" in confounded
    assert "دلیل این فاصله" not in confounded and "از داده می‌آید" in confounded


def test_scratch_comparison_says_so_when_pretraining_did_not_help():
    scratch = run(0.9, 0.5, 0.60, epochs=30, best_epoch=27, train_seconds=600.0).metrics
    frozen = run(0.97, 0.6, 0.55).metrics
    worse = text.scratch_comparison("quick", scratch, frozen, "1,020", 102, B_BETTER, (224, 224))
    even = text.scratch_comparison("quick", scratch, frozen, "1,020", 102, TIE, (224, 224))
    assert "بالاتر است" in worse and "خلاف آنچه" in worse and "دلیل این فاصله" not in worse
    assert "برابر در حد نوفه" in even and "برتری‌ای نشان نداد" in even
