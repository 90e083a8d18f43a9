"""The benchmark protocol end to end on tiny settings: rows, resume, summary, and its bad-input errors."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json

import pytest
import torch

import genaug
from genaug.bench import BALANCED_ARMS, BenchConfig, Benchmark, ResultsMismatchError, write_summary
from genaug.bench.arms import ArmInputs
from genaug.bench.config import Mixing
from genaug.bench.run import QUALITY_KEY, RESULT_KEY, generator_overrides
from genaug.bench.scenarios import Scenario
from genaug.errors import DataError
from genaug.models.autoencoder import AEConfig
from genaug.models.base import SAMPLING_VERSION
from genaug.models.registry import get_family
from tests.train.tiny import tiny_config

TINY_BENCH = dict(
    per_class=[4], seeds=1, test_size=0.3, reference_size=0.25, families=["cvae"], generator_steps=6,
    arms=["real", "classical", "mixup", "real+synthetic", "best_classical+filtered_synthetic", "synthetic_only"],
    generator_min_epochs=None,
    generator_batch_size=16, classifier_steps=6, classifier_batch_size=16, pool_per_class=8,
    imbalance_ratios=[4.0], imbalance_max_per_class=8, perturb_strength=0.25,
)  # fmt: skip
TWO_STRENGTHS = [0.125, 0.25]


def run(out, data, workers=1, device="auto", **overrides):
    config = BenchConfig(**{**TINY_BENCH, **overrides})
    models = {"cvae": tiny_config("cvae")}
    return Benchmark(config, data, out, models, progress=False, workers=workers, device=device).run()


def rows(out, name="results.csv"):
    with (out / name).open(newline="") as f:
        return list(csv.DictReader(f))


def test_every_arm_gets_a_row_and_a_rerun_skips_them(tmp_path, digits):
    out = run(tmp_path / "bench", digits, perturb_strength=TWO_STRENGTHS)
    found = [(r["scenario"], r["arm"], r["family"], r["strength"]) for r in rows(out)]
    assert sorted(found) == sorted([
        ("balanced", "real", "", ""), ("balanced", "classical", "", ""), ("balanced", "mixup", "", ""),
        *(("balanced", arm, "cvae", strength) for arm in ("real+synthetic", "best_classical+filtered_synthetic")
          for strength in ("0.125", "0.25")),  # every perturbing arm at each of bench.perturb_strength
        ("balanced", "synthetic_only", "cvae", ""),
        ("long_tailed", "real", "", ""), ("long_tailed", "class_weighted", "", ""),
        ("long_tailed", "oversample", "", ""), ("long_tailed", "classical", "", ""),
        ("long_tailed", "genaug_balance", "cvae", ""),
    ])  # fmt: skip
    for row in rows(out):
        assert 0.0 <= float(row["accuracy"]) <= 1.0 and 0.0 <= float(row["validation_accuracy"]) <= 1.0
        assert (row["minority_recall"] == "") == (row["scenario"] == "balanced")
    validation = {r["arm"]: float(r["validation_accuracy"]) for r in rows(out) if r["scenario"] == "balanced"}
    best = max(["classical", "mixup"], key=validation.__getitem__)  # chosen on validation, never on test
    stacked = {r["arm"]: r["stacked_on"] for r in rows(out) if r["scenario"] == "balanced"}
    assert stacked["best_classical+filtered_synthetic"] == best and stacked["real+synthetic"] == "real"
    assert stacked["classical"] == stacked["synthetic_only"] == ""
    assert (out / "classifiers" / "balanced-n4-r1-s0" / "classical.safetensors").is_file()  # the judges, kept
    (quality,) = [q for q in rows(out, "quality.csv") if q["scenario"] == "balanced"]
    assert 0.0 <= float(quality["label_fidelity"]) <= 1.0 and 0.0 <= float(quality["svm_label_fidelity"]) <= 1.0
    by_class = rows(out, "class_accuracy.csv")  # every run's test accuracy on each class, in class order
    assert [r["class"] for r in by_class] == digits.classes * len(rows(out))
    for row in rows(out):
        mine = [float(c["accuracy"]) for c in by_class if all(c[k] == row[k] for k in RESULT_KEY)]
        assert sum(mine) / len(mine) == pytest.approx(float(row["balanced_accuracy"]), abs=1e-4)
    before = (out / "results.csv").read_text(), (out / "class_accuracy.csv").read_text()
    run(tmp_path / "bench", digits, perturb_strength=TWO_STRENGTHS)  # everything done: nothing is measured again
    assert ((out / "results.csv").read_text(), (out / "class_accuracy.csv").read_text()) == before
    lines = before[0].splitlines(keepends=True)
    (out / "results.csv").write_text("".join(lines[:-1]))  # cut off after its class rows, before its own row
    # measured again: the same row, and its class rows are not repeated
    run(tmp_path / "bench", digits, perturb_strength=TWO_STRENGTHS)
    assert (out / "class_accuracy.csv").read_text() == before[1]
    again = [{k: v for k, v in r.items() if k != "seconds"} for r in rows(out)]
    assert again == [{k: v for k, v in r.items() if k != "seconds"} for r in csv.DictReader(before[0].splitlines())]
    summary = write_summary(out).read_text()
    assert f"| 4 | best_classical+filtered_synthetic (cvae, perturb 0.125) | {digits.classes[0]} | " in summary
    assert "real+synthetic (cvae, perturb 0.25)" in summary and "minority-class recall" in summary
    assert f"| 4 | {best} (best classical) | 1 |" in summary and "## Recommendation" in summary
    judges = json.loads((out / "judges.json").read_text())["test_accuracy"]  # label fidelity's ceiling
    assert 0 <= judges["reference_cnn"] <= 1 and judges["rbf_svm"] > 0.9  # (this CNN trains for 6 steps only)
    assert f"classify {judges['reference_cnn']:.1%} (the reference CNN: label_fidelity) and " in summary
    grid = "generators/balanced-n4-r1-s0/cvae/samples/step_000006.png"
    assert f"| 4 | ![cvae, N=4]({grid}) |" in summary and (out / grid).is_file()


def test_the_filtered_arm_judges_with_the_kept_classifier_of_the_arm_it_stacks_on(tmp_path, digits, monkeypatch):
    trained = []
    train_classifier = Benchmark.train_classifier
    monkeypatch.setattr(Benchmark, "train_classifier", lambda self, *a: trained.append(1) or train_classifier(self, *a))
    arms = ["classical", "classical+filtered_synthetic"]
    run(tmp_path / "both", digits, arms=arms, imbalance_arms=[], quality=False)
    assert len(trained) == 2  # the judge is the classical arm's classifier, kept by the first pass
    trained.clear()
    out = run(tmp_path / "filtered_only", digits, arms=arms[1:], imbalance_arms=[], quality=False)
    assert len(trained) == 2  # without the classical arm, the judge is trained (and kept) first
    bench = Benchmark(BenchConfig(**TINY_BENCH), digits, out, {"cvae": tiny_config("cvae")}, progress=False)
    scenario = Scenario("balanced", 4, 1.0, 0)
    trained.clear()
    judge = bench.judge(scenario.draw(bench.pool), scenario)("classical")
    assert not trained and not judge.training  # loaded from the run's directory, not trained again
    again = bench.train_classifier(
        BALANCED_ARMS["classical"].plan(ArmInputs(scenario.draw(bench.pool), bench.config, 0)), 0
    )
    assert all(torch.equal(a, b) for a, b in zip(judge.state_dict().values(), again.state_dict().values(), strict=True))


def test_an_arm_on_best_classical_reuses_the_row_of_its_twin(tmp_path, digits, monkeypatch):
    trained = []
    train_classifier = Benchmark.train_classifier
    monkeypatch.setattr(Benchmark, "train_classifier", lambda self, *a: trained.append(1) or train_classifier(self, *a))
    arms = ["classical", "classical+filtered_synthetic", "best_classical+filtered_synthetic"]
    out = run(tmp_path, digits, arms=arms, imbalance_arms=[], quality=False, perturb_strength=TWO_STRENGTHS)
    # classical (also the judge) and classical+filtered_synthetic at both strengths; its twins are copies
    assert len(trained) == 3
    twins = [{k: v for k, v in r.items() if k not in ("arm", "seconds")} for r in rows(out)[1:]]
    assert [t["strength"] for t in twins] == ["0.125", "0.25", "0.125", "0.25"]
    assert twins[:2] == twins[2:] and [r["seconds"] for r in rows(out)[3:]] == ["0.0", "0.0"]
    by_arm = [[{k: v for k, v in r.items() if k != "arm"} for r in rows(out, "class_accuracy.csv") if r["arm"] == a]
              for a in arms[1:]]  # fmt: skip
    assert by_arm[0] and by_arm[0] == by_arm[1]  # and so are its class rows


def test_the_semi_supervised_scenario_trains_on_the_unlabelled_rest_and_pseudo_labels_it(tmp_path, digits):
    semi = ["pseudo_label", "best_classical+filtered_synthetic"]
    arms = ["real", "classical", "mixup", "best_classical+filtered_synthetic"]
    out = run(tmp_path, digits, arms=arms, imbalance_arms=[], semi_supervised_arms=semi, quality=False)
    found = {(r["scenario"], r["arm"], r["family"]): r for r in rows(out)}
    best = found[("balanced", "best_classical+filtered_synthetic", "cvae")]["stacked_on"]
    assert best in ("classical", "mixup")  # chosen on the validation split
    pseudo = found[("semi_supervised", "pseudo_label", "")]
    generated = found[("semi_supervised", "best_classical+filtered_synthetic", "cvae")]
    assert pseudo["stacked_on"] == generated["stacked_on"] == best
    bench = Benchmark(BenchConfig(**TINY_BENCH), digits, out, {"cvae": tiny_config("cvae")}, progress=False)
    assert 40 <= int(pseudo["train_images"]) <= len(bench.pool)  # the labelled 4 x 10 and the confident rest
    record = json.loads((out / "generators" / "semi_supervised-n4-r1-s0" / "cvae" / "config.json").read_text())
    assert record["training"]["num_unlabelled_images"] == len(bench.pool) - 40  # labels hidden, images used
    labelled_only = json.loads((out / "generators" / "balanced-n4-r1-s0" / "cvae" / "config.json").read_text())
    assert labelled_only["training"]["num_unlabelled_images"] == 0
    assert not (out / "classifiers" / "semi_supervised-n4-r1-s0").exists()  # the balanced subset's, shared
    before = (out / "results.csv").read_text()
    run(tmp_path, digits, arms=arms, imbalance_arms=[], semi_supervised_arms=semi, quality=False)
    assert (out / "results.csv").read_text() == before
    summary = write_summary(out).read_text()
    assert "## Semi-supervised" in summary and "| 4 | pseudo_label | 1 |" in summary
    assert f"| 4 | {best} (best classical; labelled images only) | 1 |" in summary


def test_workers_measure_the_same_rows_as_one_process_with_their_threads(tmp_path, digits):
    config = BenchConfig(**{**TINY_BENCH, "per_class": [4, 6]})
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)  # two workers of one thread each; the reference CNN is trained here, on two
        parallel = Benchmark(config, digits, tmp_path / "parallel", {"cvae": tiny_config("cvae")}, False, 2).run()
        serial = Benchmark(config, digits, tmp_path / "serial", {"cvae": tiny_config("cvae")}, progress=False)
        serial.reference()
        torch.set_num_threads(1)
        serial.run()
    finally:
        torch.set_num_threads(threads)

    def by_key(out, name, key):
        return {tuple(r[k] for k in key): {k: v for k, v in r.items() if k != "seconds"} for r in rows(out, name)}

    assert len(rows(parallel)) == 2 * 6 + 5  # two balanced subsets and a long-tailed one, each row once
    assert by_key(parallel, "results.csv", RESULT_KEY) == by_key(serial.out, "results.csv", RESULT_KEY)
    assert by_key(parallel, "quality.csv", QUALITY_KEY) == by_key(serial.out, "quality.csv", QUALITY_KEY)


def test_a_quality_file_of_an_older_version_gains_the_svm_fidelity_from_the_kept_generators(tmp_path, digits):
    out = run(tmp_path, digits, arms=["real", "real+synthetic"], imbalance_arms=[])
    measured = (out / "quality.csv").read_text()
    results = (out / "results.csv").read_text()
    older = [line.rsplit(",", 1)[0] for line in measured.splitlines()]  # written before the SVM's column
    assert older[0].endswith("memorised_fraction")
    (out / "quality.csv").write_text("\n".join(older) + "\n")
    run(tmp_path, digits, arms=["real", "real+synthetic"], imbalance_arms=[])
    assert (out / "quality.csv").read_text() == measured  # the same sample, the same SVM: the same value
    assert (out / "results.csv").read_text() == results  # nothing else measured again


def test_a_failing_worker_stops_the_run_with_its_error(tmp_path, digits):
    blocked = tmp_path / "generators" / "balanced-n4-r1-s0"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("not a directory")
    with pytest.raises(OSError, match="balanced-n4-r1-s0"):
        run(tmp_path, digits, workers=2, imbalance_arms=[], quality=False)
    assert {r["arm"] for r in rows(tmp_path)} == {"real", "classical", "mixup"}  # the first pass's rows stay


def test_a_filtered_arm_without_a_judge_says_what_it_needs(digits16, tiny_models):
    config, mixing = BenchConfig(**TINY_BENCH), Mixing("perturb", 0.25)
    inputs = ArmInputs(digits16.subset(range(20)), config, 0, tiny_models["cvae"], mixing=mixing)
    with pytest.raises(ValueError, match="needs ArmInputs.judge"):
        BALANCED_ARMS["classical+filtered_synthetic"].plan(inputs)


@pytest.mark.parametrize("mode", ["perturb", "dataset", ["replace", "perturb"]])
def test_other_synthetic_modes_run_and_several_run_side_by_side(tmp_path, digits, mode):
    out = run(tmp_path / str(mode), digits, mode=mode, arms=["real+synthetic"], imbalance_arms=[], quality=False)
    modes = mode if isinstance(mode, list) else [mode]
    assert [(r["mode"], r["strength"]) for r in rows(out)] == [(m, "0.25" if m == "perturb" else "") for m in modes]
    labels = [f"real+synthetic (cvae, {m}{' 0.25' if m == 'perturb' else ''})" for m in modes]
    assert all(f"| 4 | {label} | 1 |" in write_summary(out).read_text() for label in labels)


def test_perturb_mode_with_a_family_without_an_encoder_fails_before_training(tmp_path, digits):
    with pytest.raises(ValueError, match=r"mode=perturb .* \['cgan'\] has none: drop it"):
        run(tmp_path, digits, mode="perturb", families=["cvae", "cgan"])
    assert not (tmp_path / "results.csv").exists()
    run(tmp_path, digits, mode="perturb", families=["cgan"], arms=["synthetic_only"], imbalance_arms=[], quality=False)


def test_a_budget_larger_than_a_class_names_the_class(tmp_path, digits):
    with pytest.raises(DataError, match="class '0' has .* the largest budget needs 500"):
        run(tmp_path, digits, per_class=[500])


def test_the_stronger_classical_baselines_run_as_arms(tmp_path, digits):
    arms = ["real", "classical", "trivialaugment", "randaugment", "autoaugment", "mixup", "cutmix"]
    out = run(tmp_path, digits, arms=arms, imbalance_arms=[], quality=False)
    assert [(r["arm"], r["family"], r["mode"]) for r in rows(out)] == [(arm, "", "") for arm in arms]
    assert not (out / "generators").exists()  # no generator arm: none trained
    assert "| 4 | cutmix | 1 |" in write_summary(out).read_text()


def test_an_unknown_arm_lists_the_valid_ones(tmp_path, digits):
    valid = r"'classical', 'classical\+filtered_synthetic', 'classical\+synthetic'"
    with pytest.raises(ValueError, match=r"unknown arm\(s\) \['gan_magic'\].*" + valid):
        run(tmp_path, digits, arms=["real", "gan_magic"])


def test_results_of_another_configuration_are_not_mixed(tmp_path, digits):
    run(tmp_path, digits, arms=["real"], imbalance_arms=[], quality=False)
    with pytest.raises(ResultsMismatchError, match="different benchmark configuration"):
        run(tmp_path, digits, arms=["real"], imbalance_arms=[], quality=False, classifier_steps=7)


def test_families_are_checked_one_by_one_so_families_can_be_left_out_or_added(tmp_path, digits):
    def run_families(families, configs, **overrides):
        settings = {**TINY_BENCH, "families": families, "arms": ["real"], "imbalance_arms": [], "quality": False}
        Benchmark(BenchConfig(**{**settings, **overrides}), digits, tmp_path, configs, progress=False).run()

    configs = {"cvae": tiny_config("cvae"), "ae": tiny_config("ae")}
    run_families(["cvae"], configs)
    run_families(["cvae", "ae"], configs)  # a family added later: recorded, the cvae's rows kept
    run_families(["cvae"], {**configs, "ae": tiny_config("ae", latent_dim=5)})  # the ae's rows are not touched
    recorded = json.loads((tmp_path / "bench_meta.json").read_text())
    assert recorded["config"]["families"] == ["cvae", "ae"]  # the recorded configuration covers every row there
    with pytest.raises(ResultsMismatchError, match=r"\['ae'\] generators with other settings"):
        run_families(["ae"], {**configs, "ae": tiny_config("ae", latent_dim=5)})
    with pytest.raises(ResultsMismatchError, match=r"\['cvae'\] generators with other settings"):
        run_families(["cvae"], configs, generator_steps=7)  # the steps a family trains for count too
    with pytest.raises(ResultsMismatchError, match="different benchmark configuration"):
        run_families(["cvae"], configs, classifier_steps=7)  # a setting every row depends on


def test_rows_of_an_earlier_perturb_are_not_mixed_with_new_ones(tmp_path, digits):
    """The ae's and cvae's perturb keep the image's detail since perturb version 2: a results directory whose
    perturb rows came from the version before (no version recorded) is refused; the families whose perturb never
    changed are not affected."""

    def run_families(families):
        settings = {**TINY_BENCH, "families": families, "arms": ["real"], "imbalance_arms": [], "quality": False}
        configs = {f: tiny_config(f) for f in families}
        return Benchmark(BenchConfig(**settings), digits, tmp_path, configs, progress=False).run()

    meta_file = run_families(["ae", "diffusion"]) / "bench_meta.json"
    meta = json.loads(meta_file.read_text())
    assert meta["generators"]["ae"]["perturb_version"] == 2
    assert "perturb_version" not in meta["generators"]["diffusion"]
    del meta["generators"]["ae"]["perturb_version"]  # as a run from before version 2 recorded it
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(ResultsMismatchError, match=r"\['ae'\] generators with other settings"):
        run_families(["ae", "diffusion"])
    run_families(["diffusion"])  # the diffusion rows stay usable


def test_generator_steps_can_differ_per_family(tmp_path, digits):
    out = run(tmp_path, digits, generator_steps={"cvae": 4}, arms=["real+synthetic"], imbalance_arms=[], quality=False)
    (checkpoint,) = (out / "generators").glob("*/cvae/config.json")
    assert json.loads(checkpoint.read_text())["training"]["step"] == 4


def test_a_minimum_of_epochs_adds_steps_at_larger_budgets(tmp_path, digits):
    config = BenchConfig(generator_steps={"cvae": 600, "ae": 600}, generator_min_epochs={"cvae": 150})
    assert [config.steps_for("cvae", n * 10) for n in (10, 20, 50, 100)] == [600, 600, 1172, 2344]
    assert config.steps_for("ae", 1000) == 600  # no minimum for the ae
    assert BenchConfig(generator_min_epochs=150).steps_for("ae", 1000) == 2344
    # subset of 40 digits in batches of 16: 3 epochs are 8 steps, more than generator_steps=6
    out = run(tmp_path, digits, generator_min_epochs=3, arms=["real+synthetic"], imbalance_arms=[], quality=False)
    (checkpoint,) = (out / "generators").glob("*/cvae/config.json")
    assert json.loads(checkpoint.read_text())["training"]["step"] == 8


def test_a_familys_steps_and_minimum_epochs_are_its_own_settings_not_the_fingerprints():
    data = {"data_source": "digits"}
    with_minimum = BenchConfig(generator_min_epochs={"cvae": 150})
    assert with_minimum.family_settings("cvae") == {"steps": 600, "min_epochs": 150}
    assert with_minimum.family_settings("ae") == {"steps": 600, "min_epochs": None}
    assert with_minimum.fingerprint(data) == BenchConfig(generator_min_epochs=None).fingerprint(data)
    recorded = dataclasses.asdict(BenchConfig(generator_min_epochs=None))
    del recorded["generator_min_epochs"]  # as recorded by a run from before the setting
    assert BenchConfig.from_recorded(recorded).family_settings("cvae") == {"steps": 600, "min_epochs": None}
    with pytest.raises(ValueError, match=r"bench.generator_min_epochs.cvae must be an int >= 1, got 0"):
        BenchConfig(generator_min_epochs={"cvae": 0})


def test_auto_generator_steps_are_the_familys_schedule():
    config = BenchConfig()  # the cgan's default: its schedule
    schedule = get_family("cgan").schedule
    assert config.steps_for("cgan", 100) == schedule.steps(100, 64) == 2500
    assert config.steps_for("cgan", 5000) == schedule.steps(5000, 64)
    assert config.family_settings("cgan") == {"steps": "auto", "schedule": dataclasses.asdict(schedule)}
    assert BenchConfig(generator_steps="auto").steps_for("ae", 200) == get_family("ae").schedule.steps(200, 64)
    with pytest.raises(ValueError, match=r"bench.generator_steps.ae must be an int >= 1 \(or 'auto'\), got 'many'"):
        BenchConfig(generator_steps={"ae": "many"})


def test_modes_and_strengths_are_row_columns_not_the_fingerprints_and_are_checked():
    data = {"data_source": "digits"}
    one = BenchConfig(mode="replace", perturb_strength=0.5)  # as bench.mode=replace bench.perturb_strength=0.5
    assert (one.mode, one.perturb_strength) == (["replace"], [0.5])
    assert one.fingerprint(data) == BenchConfig().fingerprint(data)
    assert BenchConfig().mixings() == [Mixing("perturb", 0.125), Mixing("perturb", 0.25)]
    both = BenchConfig(mode=["replace", "perturb"], perturb_strength=0.5)
    assert both.mixings() == [Mixing("replace"), Mixing("perturb", 0.5)] and one.mixings() == [Mixing("replace")]
    with pytest.raises(ValueError, match=r"bench.perturb_strength\[1\] must be a finite number >= 0, got -0.1"):
        BenchConfig(perturb_strength=[0.25, -0.1])
    with pytest.raises(ValueError, match=r"bench.perturb_strength must be one value or a list of distinct ones"):
        BenchConfig(perturb_strength=[0.25, 0.25])
    with pytest.raises(ValueError, match=r"bench.mode\[1\] must be one of \['replace', 'perturb', 'dataset'\]"):
        BenchConfig(mode=["perturb", "blend"])


def test_the_recorded_configuration_covers_the_rows_of_every_invocation():
    earlier = BenchConfig(families=["cvae"], generator_steps={"cvae": 1000}, perturb_strength=0.25, seeds=10)
    now = BenchConfig(families=["ae"], generator_steps=300, per_class=[10, 50], seeds=5, quality=False)
    covering = now.covering(earlier)
    assert covering.families == ["cvae", "ae"] and covering.per_class == [10, 20, 50]
    assert covering.perturb_strength == [0.25, 0.125] and covering.seeds == 10 and covering.quality
    assert covering.generator_steps == {"cvae": 1000, "ae": 300}  # each family's rows trained for its own steps
    assert covering.steps_for("cvae", 100) == 1000 and covering.generator_min_epochs == {"cvae": 150}
    data = {"data_source": "digits"}
    assert covering.fingerprint(data) == now.fingerprint(data)


def test_generator_steps_must_cover_every_family():
    with pytest.raises(ValueError, match=r"bench.generator_steps has no entry for \['ae'\]"):
        BenchConfig(families=["cvae", "ae"], generator_steps={"cvae": 100})


def test_results_of_another_noise_layout_are_not_resumed():
    """Rows from synthetic samples depend on which images a seed gives (SAMPLING_VERSION): results recorded before
    it have another fingerprint and are never mixed with new rows."""
    data = {"data_source": "digits"}
    assert BenchConfig().fingerprint(data) == _fingerprint_before(BenchConfig(), data)
    assert BenchConfig().fingerprint(data) != _fingerprint_before(BenchConfig(), data, None)


def _fingerprint_before(config: BenchConfig, data: dict, sampling_version: int | None = SAMPLING_VERSION) -> str:
    """BenchConfig.fingerprint (with None: without the sampling version)."""
    row_keys = ("per_class", "seeds", "families", "arms", "imbalance_ratios", "imbalance_arms", "quality")
    row_keys += ("generator_steps", "generator_min_epochs")  # a family's own settings, checked family by family
    row_keys += ("semi_supervised_arms",)  # added since; a row key, so earlier fingerprints stay as they were
    row_keys += ("mode", "perturb_strength")  # columns of the rows since several can run
    settings = {k: v for k, v in dataclasses.asdict(config).items() if v is not None and k not in row_keys}
    if sampling_version is not None:
        settings["sampling_version"] = sampling_version
    text = json.dumps({"bench": settings, "data": data}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_a_set_with_predefined_splits_is_measured_on_them_never_split_at_random(tmp_path):
    """photos-train's patches overlap within the split: the benchmark takes photos-reference and photos-test as
    its held-out parts (as genaug-bench does), and refuses to split photos-train at random."""
    train, reference, test = (genaug.data.load(f"photos-{part}") for part in ("train", "reference", "test"))
    settings = BenchConfig(**{**TINY_BENCH, "imbalance_ratios": [], "arms": ["real"], "families": []})
    with pytest.raises(ValueError, match=r"photos-train has predefined held-out parts.*reference= and test="):
        Benchmark(settings, train, tmp_path / "random")
    with pytest.raises(ValueError, match="pass both reference= and test="):
        Benchmark(settings, train, tmp_path / "half", test=test)
    bench = Benchmark(settings, train, tmp_path / "held", reference=reference, test=test)
    assert bench.pool is train and bench.test is test and bench.reference_set is reference
    assert bench.description()["held_out"] == [reference.source, test.source]
    assert "held_out" not in Benchmark(settings, genaug.data.load("digits"), tmp_path / "d").description()
    (row,) = rows(bench.run())
    assert row["arm"] == "real" and 0.0 <= float(row["accuracy"]) <= 1.0


def test_only_generator_settings_that_differ_from_the_defaults_enter_the_fingerprint():
    """A setting added to a family later, at its default, leaves the fingerprint of earlier runs as it was."""
    assert generator_overrides({"ae": AEConfig()}) == {"ae": {}}
    assert generator_overrides({"ae": AEConfig(base_width=16)}) == {"ae": {"base_width": 16}}


def test_the_diffusion_family_runs_in_the_benchmark_in_perturb_mode(tmp_path, digits):
    config = BenchConfig(**{**TINY_BENCH, "families": ["diffusion"], "arms": ["real", "real+synthetic"]})
    config.imbalance_arms, config.quality = [], False
    out = Benchmark(config, digits, tmp_path, {"diffusion": tiny_config("diffusion")}, progress=False).run()
    assert [(r["arm"], r["family"], r["mode"]) for r in rows(out)] == [
        ("real", "", ""),
        ("real+synthetic", "diffusion", "perturb"),
    ]


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_an_unavailable_device_is_refused_before_any_training(tmp_path, digits):
    with pytest.raises(ValueError, match="device='cuda' but CUDA is not available"):
        Benchmark(BenchConfig(**TINY_BENCH), digits, tmp_path, device="cuda")
    assert not tmp_path.joinpath("results.csv").exists()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_every_arm_runs_on_a_cuda_device_in_every_worker(tmp_path, digits):
    out = run(tmp_path / "bench", digits, workers=2, device="cuda")
    assert len(rows(out)) == 11 and len(rows(out, "quality.csv")) == 2  # as on the CPU
    config = BenchConfig(**TINY_BENCH)
    bench = Benchmark(config, digits, out, {"cvae": tiny_config("cvae")}, progress=False, device="cuda")
    train = Scenario("balanced", 4, 1.0, 0).draw(bench.pool)
    judge = bench.judge(train, Scenario("balanced", 4, 1.0, 0))("classical")  # kept by the run, loaded on the GPU
    assert next(judge.parameters()).device.type == "cuda"
