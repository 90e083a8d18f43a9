"""The downstream-benefit protocol: budgets x seeds x arms, generators trained on each subset only.

Splits (all stratified and fixed by ``split_seed``): a test split that no generator or classifier trains on; a
reference split for the reference CNN of the quality metrics; the rest is the pool that labelled subsets are
drawn from (nested across budgets for one seed). Every arm is scored on the test split and on the reference split,
which is the validation split of every choice the benchmark makes (``genaug.bench.recommend``).

A run has two passes: first every arm without a generator on every subset, then (once ``best_classical`` is chosen
per budget from those validation scores) the generators and their arms, and the arms without a generator that
stack on best classical (pseudo-labelling). In the semi-supervised scenario the generators also train on the
unlabelled rest of the pool. Every result row is appended to
``results.csv`` as soon as it is measured, every generator keeps its checkpoint and every classical arm's classifier
is kept for the filtered arms' judge, so an interrupted benchmark resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.svm import SVC
from tqdm.auto import tqdm

from genaug.atomic import atomic_write_text
from genaug.bench.arms import (
    BALANCED_ARMS,
    BEST_CLASSICAL,
    CLASSICAL_ARMS,
    IMBALANCED_ARMS,
    SEMI_SUPERVISED_ARMS,
    Arm,
    ArmInputs,
    TrainingPlan,
    check_arms,
    same_training,
)
from genaug.bench.classifiers import ClassifierStore
from genaug.bench.config import BenchConfig, Mixing
from genaug.bench.mixing import synthetic_pool
from genaug.bench.recommend import best_classical_by_budget
from genaug.bench.results import CLASS_FILE, JUDGES_FILE, ResultsFile, claim_directory, mixing_columns, recorded_config
from genaug.bench.scenarios import SEMI_SUPERVISED, Scenario, scenarios
from genaug.bench.workers import run_in_workers
from genaug.checks import check_int
from genaug.data import ImageSet, builtin_of, predefined_splits, train_test_split
from genaug.errors import DataError
from genaug.metrics import accuracy, generator_quality, predict, svm_label_fidelity, train_classifier, train_pixel_svm
from genaug.metrics.classifier import build_classifier
from genaug.models.base import EncodingModel, GenerativeModel
from genaug.models.registry import get_family
from genaug.train import Trainer, TrainerConfig
from genaug.train.device import resolve_device

RESULT_FIELDS = [
    "scenario", "per_class", "imbalance_ratio", "seed", "arm", "family", "mode", "strength", "stacked_on",
    "train_images", "validation_accuracy", "accuracy", "balanced_accuracy", "minority_recall", "seconds",
]  # fmt: skip
# mode, strength: how an arm that mixes in synthetic images did (one of bench.mode; for perturb, one of
# bench.perturb_strength), else blank; stacked_on: the arm an arm stacks on, resolved (best_classical's choice can
# change when seeds are added)
RESULT_KEY = ["scenario", "per_class", "imbalance_ratio", "seed", "arm", "family", "mode", "strength", "stacked_on"]
# CLASS_FILE's rows: each run's test accuracy on every class (its recall), where an arm gains and loses
CLASS_KEY = [*RESULT_KEY, "class"]
QUALITY_KEY = ["scenario", "per_class", "imbalance_ratio", "seed", "family"]
QUALITY_METRICS = [
    "frechet_distance", "kid_mean", "kid_std", "precision", "recall", "density", "coverage",
    "label_fidelity", "memorised_fraction", "svm_label_fidelity",
]  # fmt: skip
# metrics added to quality.csv after its first version: an older file gains them, measured from the kept generators
QUALITY_ADDED = ["svm_label_fidelity"]
QUALITY_SAMPLES_PER_CLASS = 100


def check_budgets(config: BenchConfig, pool: ImageSet) -> None:
    """Fail before any training when a budget needs more images than a class of the pool holds."""
    need = max([*config.per_class, config.imbalance_max_per_class if config.imbalance_ratios else 0])
    for name, have in zip(pool.classes, pool.class_counts(), strict=True):
        if have < need:
            raise DataError(
                f"class {name!r} has {have} images left for training after the test and reference splits, but "
                f"the largest budget needs {need}; lower bench.per_class / bench.imbalance_max_per_class, or "
                "bench.test_size / bench.reference_size"
            )


def check_perturb_families(config: BenchConfig, arms: list[Arm]) -> None:
    """Fail before any training when bench.mode's perturb meets a family without an encoder to perturb with."""
    if "perturb" not in config.mode or not any(arm.uses_mode for arm in arms):
        return
    no_encoder = [f for f in config.families if not issubclass(get_family(f).model_class, EncodingModel)]
    if no_encoder:
        raise ValueError(
            f"bench.mode=perturb perturbs real images through a family's encoder, but {no_encoder} has none: "
            "drop it from bench.families or use bench.mode=replace (without perturb)"
        )


def check_stacking(arms: list[Arm], balanced: list[Arm]) -> None:
    """Fail before any training when an arm stacks on best_classical but no classical arm runs (among the
    ``balanced`` arms) to choose from."""
    if any(arm.stacks_on == BEST_CLASSICAL for arm in arms) and not any(a.name in CLASSICAL_ARMS for a in balanced):
        raise ValueError(
            f"the arms on best_classical need at least one classical arm in bench.arms to choose from: add some of "
            f"{sorted(CLASSICAL_ARMS)}"
        )


def check_held_out(
    data: ImageSet, reference: ImageSet | None, test: ImageSet | None
) -> tuple[ImageSet, ImageSet] | None:
    """(reference, test) when given (both, with ``data``'s classes and image shape); a built-in set with
    predefined splits must come with them."""
    if reference is None and test is None:
        name = builtin_of(data.source)
        splits = predefined_splits(name) if name is not None else None
        if splits is not None:
            raise ValueError(
                f"{name} has predefined held-out parts ({splits['reference']}, {splits['test']}): pass them as "
                "reference= and test= (genaug-bench does), since a random split would put overlapping patches "
                "on both sides"
            )
        return None
    if reference is None or test is None:
        raise ValueError("pass both reference= and test= (held-out sets), or neither to split data at random")
    for held in (reference, test):
        if held.classes != data.classes or held.image_shape != data.image_shape:
            raise ValueError(
                f"held-out set {held.source} has classes {held.classes} and shape {held.image_shape}; the data "
                f"has {data.classes} and {data.image_shape}: load both the same way"
            )
    return reference, test


class Benchmark:
    """Runs (or resumes) the benchmark of ``config`` on ``data``, writing into ``out``.

    ``reference`` and ``test`` are held-out sets to use instead of splitting ``data`` (then the pool of labelled
    subsets); a built-in set with predefined splits (``genaug.data.predefined_splits``, e.g. ``photos-train``)
    needs them. ``workers`` > 1 measures that many labelled subsets at a time, in separate processes that share the CPU
    threads (on 2 cores, 2 workers of one thread each do about 1.3x the work of one process of two threads).
    ``device`` (auto: CUDA, then MPS, then the CPU) trains every generator and classifier, and runs every
    augmentation, there; the subsets, seeds and splits are the same on any device. A result depends on the device and
    threads it was computed with, so a run is reproduced with the same ``device`` and ``workers``.
    """

    def __init__(
        self,
        config: BenchConfig,
        data: ImageSet,
        out: str | Path,
        model_configs: dict[str, Any] | None = None,
        progress: bool = True,
        workers: int = 1,
        reference: ImageSet | None = None,
        test: ImageSet | None = None,
        device: str = "auto",
    ):
        check_int("workers", workers, minimum=1)
        self.config, self.data, self.out, self.progress, self.workers = config, data, Path(out), progress, workers
        self.device = resolve_device(device)
        self._reference: torch.nn.Module | None = None
        self._reference_svm: SVC | None = None
        self.balanced_arms = check_arms(config.arms, BALANCED_ARMS, "arms")
        self.imbalanced_arms = check_arms(config.imbalance_arms, IMBALANCED_ARMS, "imbalance_arms")
        self.semi_supervised_arms = check_arms(
            config.semi_supervised_arms, SEMI_SUPERVISED_ARMS, "semi_supervised_arms"
        )
        check_perturb_families(config, self.balanced_arms + self.semi_supervised_arms)
        check_stacking(self.balanced_arms + self.semi_supervised_arms, self.balanced_arms)
        self.best_classical: dict[int, str] = {}  # per budget, chosen on the validation split after the first pass
        configs = model_configs or {}
        self.model_configs = {f: configs.get(f) or get_family(f).config_class() for f in config.families}
        # what each family's rows depend on, checked family by family against a results directory (so running
        # fewer or more families there keeps the other families' rows usable); of a generator config only the
        # settings that differ from the family's defaults count, so a setting added later at its default (off, or
        # the behaviour it had) keeps earlier runs resumable
        overrides = generator_overrides(self.model_configs)
        self.generator_settings = {
            f: {"config": overrides[f], **config.family_settings(f), **perturb_settings(f)} for f in config.families
        }
        self.held_out = check_held_out(data, reference, test)
        if self.held_out is not None:
            self.pool, self.reference_set, self.test = data, *self.held_out
        else:
            rest, self.test = train_test_split(data, test_size=config.test_size, seed=config.split_seed)
            self.pool, self.reference_set = train_test_split(
                rest, test_size=config.reference_size, seed=config.split_seed
            )
        check_budgets(config, self.pool)

    def description(self) -> dict[str, Any]:
        """The data set, part of the results' fingerprint."""
        return {
            "data_source": self.data.source,
            "num_images": len(self.data),
            "classes": self.data.classes,
            "image_shape": list(self.data.image_shape),
            # only when given, so the fingerprints of runs that split their data stay as they were
            **({"held_out": [held.source for held in self.held_out]} if self.held_out is not None else {}),
        }

    def run(self) -> Path:
        cfg = self.config
        description = self.description()
        fingerprint = cfg.fingerprint(description)
        earlier = recorded_config(self.out, fingerprint)
        covering = cfg if earlier is None else cfg.covering(BenchConfig.from_recorded(earlier))
        meta = {"config": covering.__dict__, "data": description}
        claim_directory(self.out, fingerprint, meta, self.generator_settings)
        todo = scenarios(cfg)
        self._each(todo, "measure_baselines")
        self.best_classical = best_classical_by_budget(self.out / "results.csv")
        if self.workers > 1 and self._quality_pending(todo):
            self.reference()  # the judges of quality: trained once here, not once per worker
            self.reference_svm()
        self._each(todo, "measure_generators")
        if cfg.quality:
            self._record_judges()
        return self.out

    def _record_judges(self) -> None:
        """judges.json: the share of the real test images that label fidelity's judges classify correctly, the
        ceiling a generator's label fidelity reads against (written once: a later invocation trains the same
        judges, up to the thread count)."""
        path = self.out / JUDGES_FILE
        if path.exists():
            return
        images, labels = self.test.images, self.test.labels
        judges = {
            "reference_cnn": round(accuracy(self.reference(), images, labels), 5),
            "rbf_svm": round(svm_label_fidelity(self.reference_svm(), images, labels), 5),
        }
        atomic_write_text(path, json.dumps({"test_accuracy": judges}, indent=2) + "\n")

    def _each(self, todo: list[Scenario], step: str) -> None:
        """``getattr(self, step)(scenario)`` for every scenario, here or in the worker processes."""
        if self.workers == 1:
            for scenario in tqdm(todo, desc=f"genaug-bench {step}", unit="subset", disable=not self.progress):
                getattr(self, step)(scenario)
        else:
            run_in_workers(self, todo, step)

    def _results(self) -> ResultsFile:
        return ResultsFile(self.out / "results.csv", RESULT_FIELDS, RESULT_KEY)

    def _class_file(self) -> ResultsFile:
        return ResultsFile(self.out / CLASS_FILE, [*CLASS_KEY, "accuracy"], CLASS_KEY)

    def _arms(self, scenario: Scenario) -> list[Arm]:
        if scenario.name == SEMI_SUPERVISED:
            return self.semi_supervised_arms
        return self.balanced_arms if scenario.name == "balanced" else self.imbalanced_arms

    def measure_baselines(self, scenario: Scenario) -> None:
        """The first pass on one subset: every arm without a generator that results.csv lacks."""
        results, classes, train = self._results(), self._class_file(), scenario.draw(self.pool)
        store = ClassifierStore(scenario.classifiers_dir(self.out), self._build_classifier)
        for arm in self._arms(scenario):
            first = not arm.uses_generator and arm.stacks_on != BEST_CLASSICAL
            if first and not results.done(
                **scenario.key, arm=arm.name, family="", **mixing_columns(None), stacked_on=""
            ):
                classifier = self._measure(
                    results, classes, scenario, arm, ArmInputs(train, self.config, scenario.seed), ""
                )
                if arm.name in CLASSICAL_ARMS and self._judges_needed(scenario):
                    store.save(arm.name, classifier)

    def _judges_needed(self, scenario: Scenario) -> bool:
        """Whether the classical arms' classifiers on this subset judge anything: an arm that ``uses_judge`` here or
        in the semi-supervised scenario, which shares the balanced subset's classifiers."""
        arms = self._arms(scenario) + (self.semi_supervised_arms if scenario.name == "balanced" else [])
        return any(arm.uses_judge for arm in arms)

    def measure_generators(self, scenario: Scenario) -> None:
        """The second pass on one subset: the arms without a generator on best classical, then each family's
        generator (trained once, kept on disk), its quality and its arms that results.csv lacks."""
        cfg, results, classes, quality = self.config, self._results(), self._class_file(), self._quality_file()
        best = self.best_classical.get(scenario.per_class) if scenario.name != "long_tailed" else None
        arms = [a for a in self._arms(scenario) if a.stacks_on != BEST_CLASSICAL or best]
        train, unlabelled = scenario.split(self.pool)
        judge = self.judge(train, scenario)
        late = [a for a in arms if not a.uses_generator and a.stacks_on == BEST_CLASSICAL]
        for arm in late:  # pseudo-labelling: its teacher and augmentation are best classical's
            if not results.done(
                **scenario.key, arm=arm.name, family="", **mixing_columns(None), stacked_on=arm.base(best)
            ):
                inputs = ArmInputs(train, cfg, scenario.seed, judge=judge, best_classical=best, unlabelled=unlabelled)
                self._measure(results, classes, scenario, arm, inputs, "")
        runs = [(a, m) for a in arms if a.uses_generator for m in (cfg.mixings() if a.uses_mode else [None])]
        for family in cfg.families:
            pending = [
                (a, m) for a, m in runs
                if not results.done(
                    **scenario.key, arm=a.name, family=family, **mixing_columns(m), stacked_on=a.base(best) or ""
                )
            ]  # fmt: skip
            quality_key = {**scenario.key, "family": family}
            measured_before = quality.find(**quality_key)
            wants_quality = cfg.quality and quality_missing(measured_before)
            if not pending and not wants_quality:
                continue
            model = self._generator(scenario, family, train, unlabelled)
            if wants_quality:
                measured = self._quality(model, train)
                if measured_before is not None:  # a row of an older version: only its new metrics are blank
                    quality.fill(quality_key, measured)
                else:
                    quality.append({**quality_key, **measured})
            for arm, mixing in pending:
                twin = self._twin(results, scenario, arm, family, best, mixing)
                if twin is not None:  # the same training, measured already: its rows under this arm's name
                    self._copy_class_rows(classes, twin, arm.name)
                    results.append({**twin, "arm": arm.name, "seconds": 0.0})
                    continue
                inputs = ArmInputs(train, cfg, scenario.seed, model, judge, best, mixing=mixing)
                self._measure(results, classes, scenario, arm, inputs, family)

    @staticmethod
    def _copy_class_rows(classes: ResultsFile, twin: dict[str, str], arm: str) -> None:
        """The twin run's class rows under ``arm``'s name (those not there yet)."""
        for row in [r for r in classes.rows if all(r[k] == twin[k] for k in RESULT_KEY)]:
            copy = {**row, "arm": arm}
            if not classes.done(**{k: copy[k] for k in CLASS_KEY}):
                classes.append(copy)

    def _twin(
        self, results: ResultsFile, scenario: Scenario, arm: Arm, family: str, best: str | None, mixing: Mixing | None
    ) -> dict[str, str] | None:
        """For an arm on best_classical, the finished row of the arm that trains exactly as it does on this subset
        (``same_training``: the arm named after the chosen one)."""
        if arm.stacks_on != BEST_CLASSICAL or best is None:
            return None
        name = same_training(arm.name, best)
        return results.find(**scenario.key, arm=name, family=family, **mixing_columns(mixing), stacked_on=best)

    def _quality_file(self) -> ResultsFile:
        return ResultsFile(self.out / "quality.csv", [*QUALITY_KEY, *QUALITY_METRICS], QUALITY_KEY, QUALITY_ADDED)

    def _quality_pending(self, todo: list[Scenario]) -> bool:
        quality = self._quality_file()
        return self.config.quality and any(
            quality_missing(quality.find(**s.key, family=f)) for s in todo for f in self.config.families
        )

    def judge(self, train: ImageSet, scenario: Scenario) -> Callable[[str], torch.nn.Module]:
        """``ArmInputs.judge`` for the subset ``train`` of ``scenario``: an arm's classifier as the first pass kept
        it, else trained (and kept) on first call; the same seed gives the same classifier."""
        store = ClassifierStore(scenario.classifiers_dir(self.out), self._build_classifier)

        def classifier(arm: str) -> torch.nn.Module:
            found = store.load(arm)
            if found is None:
                plan = BALANCED_ARMS[arm].plan(ArmInputs(train, self.config, scenario.seed))
                found = store.save(arm, self.train_classifier(plan, scenario.seed))
            return found

        return classifier

    def _build_classifier(self) -> torch.nn.Module:
        """An untrained downstream classifier of the configured architecture on the benchmark's device, for the store
        to load weights into."""
        cfg = self.config
        channels, classes = self.data.image_shape[0], self.data.num_classes
        return build_classifier(cfg.classifier, channels, classes, cfg.classifier_width).to(self.device)

    def _generator(
        self, scenario: Scenario, family: str, train: ImageSet, unlabelled: ImageSet | None
    ) -> GenerativeModel:
        """The family's generator for this subset (and its unlabelled images, labels hidden): trained once, kept on
        disk, resumed after an interruption."""
        cfg = self.config
        steps = cfg.steps_for(family, len(train))
        trainer = TrainerConfig(
            steps=steps, batch_size=cfg.generator_batch_size, seed=scenario.seed, resume=True,
            progress=False, tensorboard=False, sample_every=steps, checkpoint_every=500, device=str(self.device),
        )  # fmt: skip
        out = scenario.generators_dir(self.out) / family
        hidden = unlabelled.images if unlabelled is not None else None  # a bare tensor: no labels to ignore
        return Trainer(trainer, out).fit(train, self.model_configs[family], unlabelled=hidden)

    def reference(self) -> torch.nn.Module:
        """The reference CNN of the quality metrics, trained on the reference split on first call."""
        cfg = self.config
        if self._reference is None:
            self._reference = train_classifier(
                self.reference_set.images, self.reference_set.labels, self.data.num_classes,
                steps=cfg.classifier_steps, batch_size=cfg.classifier_batch_size, lr=cfg.classifier_lr,
                seed=cfg.split_seed, device=self.device,
            )  # fmt: skip
        return self._reference

    def reference_svm(self) -> SVC:
        """The independent judge of label fidelity, an RBF-SVM on pixels, fitted to the reference split on first
        call."""
        if self._reference_svm is None:
            self._reference_svm = train_pixel_svm(self.reference_set.images, self.reference_set.labels)
        return self._reference_svm

    def _quality(self, model: GenerativeModel, train: ImageSet) -> dict[str, float]:
        synthetic, labels = synthetic_pool(model, QUALITY_SAMPLES_PER_CLASS, seed=0)
        measured = generator_quality(self.reference(), train.images, self.test.images, synthetic, labels)
        measured["svm_label_fidelity"] = svm_label_fidelity(self.reference_svm(), synthetic, labels)
        return {k: round(float(measured[k]), 5) for k in QUALITY_METRICS}

    def _measure(
        self, results: ResultsFile, classes: ResultsFile, scenario: Scenario, arm: Arm, inputs: ArmInputs, family: str
    ) -> torch.nn.Module:
        """Train and score ``arm``'s classifier, append its row to ``results`` (its rows in ``classes`` first, so that
        a run cut off between them is measured again and its class rows are not repeated); returns the classifier."""
        start = time.perf_counter()
        plan = arm.plan(inputs)
        classifier = self.train_classifier(plan, scenario.seed)
        predicted = predict(classifier, self.test.images).numpy()
        validation = round(accuracy(classifier, *self._validation()), 5)
        row = {
            **scenario.key, "arm": arm.name, "family": family, **mixing_columns(inputs.mixing),
            "stacked_on": arm.base(inputs.best_classical) or "", "train_images": len(plan.images),
            "validation_accuracy": validation, **evaluate(predicted, self.test, inputs.train),
            "seconds": round(time.perf_counter() - start, 1),
        }  # fmt: skip
        for name, value in zip(self.test.classes, class_accuracies(predicted, self.test), strict=True):
            key = {**{k: row[k] for k in RESULT_KEY}, "class": name}
            if not classes.done(**key):
                classes.append({**key, "accuracy": value})
        results.append(row)
        return classifier

    def _validation(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The validation split: the reference split, which no generator or downstream classifier trains on."""
        return self.reference_set.images, self.reference_set.labels

    def train_classifier(self, plan: TrainingPlan, seed: int) -> torch.nn.Module:
        """The downstream classifier every arm trains (settings from the config), on ``plan``."""
        cfg = self.config
        return train_classifier(
            plan.images, plan.labels, self.data.num_classes, steps=cfg.classifier_steps,
            batch_size=cfg.classifier_batch_size, lr=cfg.classifier_lr, seed=seed, augment=plan.augment,
            class_weights=plan.class_weights, architecture=cfg.classifier, width=cfg.classifier_width,
            device=self.device,
        )  # fmt: skip


def quality_missing(row: dict[str, str] | None) -> bool:
    """Whether a generator's quality.csv ``row`` (None: there is none) is missing, or lacks one of the metrics
    added since its version."""
    return row is None or any(row[k] == "" for k in QUALITY_ADDED)


def generator_overrides(configs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each family's generator settings (``configs``: family -> config dataclass) that differ from its defaults."""
    overrides = {}
    for family, config in configs.items():
        default = get_family(family).config_class()
        overrides[family] = {
            f.name: getattr(config, f.name)
            for f in dataclasses.fields(config)
            if getattr(config, f.name) != getattr(default, f.name)
        }
    return overrides


def perturb_settings(family: str) -> dict[str, int]:
    """The version of ``family``'s ``perturb``, from version 2 on: a results directory of version-1 rows is refused
    rather than mixed, and the families whose perturb never changed keep their earlier runs resumable. (Recorded
    whatever bench.mode is: a directory may add perturb to its modes later.)"""
    version = getattr(get_family(family).model_class, "perturb_version", 1)
    return {"perturb_version": version} if version > 1 else {}


def evaluate(predicted: np.ndarray, test: ImageSet, train: ImageSet) -> dict[str, float | str]:
    """Accuracy, balanced accuracy and minority recall (mean recall of the half of the classes with the fewest
    training images; blank when the training subset is balanced) of the ``predicted`` classes of the test split."""
    truth = test.labels.numpy()
    counts = torch.tensor(train.class_counts())
    minority = ""
    if counts.min() < counts.max():
        fewest = torch.argsort(counts, stable=True)[: max(1, len(counts) // 2)].tolist()
        minority = round(float(recall_score(truth, predicted, labels=fewest, average="macro", zero_division=0)), 5)
    return {
        "accuracy": round(float((predicted == truth).mean()), 5),
        "balanced_accuracy": round(float(balanced_accuracy_score(truth, predicted)), 5),
        "minority_recall": minority,
    }


def class_accuracies(predicted: np.ndarray, test: ImageSet) -> list[float | str]:
    """The share of each class's test images predicted as that class (its recall), in class order; blank for a
    class without test images."""
    truth = test.labels.numpy()
    return [
        round(float((predicted[truth == k] == k).mean()), 5) if (truth == k).any() else ""
        for k in range(test.num_classes)
    ]
