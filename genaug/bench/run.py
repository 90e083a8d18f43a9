"""The downstream-benefit protocol: budgets x seeds x arms, generators trained on each subset only.

Splits (all stratified and fixed by ``split_seed``): a test split that no generator or classifier trains on; a
reference split for the reference CNN of the quality metrics; the rest is the pool that labelled subsets are
drawn from (nested across budgets for one seed). Every result row is appended to ``results.csv`` as soon as
it is measured, and every generator keeps its checkpoint, so an interrupted benchmark resumes where it stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from sklearn.metrics import balanced_accuracy_score, recall_score
from tqdm.auto import tqdm

from genaug.bench.arms import BALANCED_ARMS, IMBALANCED_ARMS, Arm, ArmInputs, TrainingPlan, check_arms
from genaug.bench.config import BenchConfig
from genaug.bench.results import ResultsFile, claim_directory
from genaug.bench.scenarios import Scenario, scenarios
from genaug.bench.workers import run_in_workers
from genaug.checks import check_int
from genaug.data import ImageSet, builtin_of, predefined_splits, train_test_split
from genaug.errors import DataError
from genaug.metrics import generator_quality, predict, train_classifier
from genaug.models.base import EncodingModel, GenerativeModel
from genaug.models.registry import get_family
from genaug.train import Trainer, TrainerConfig

RESULT_FIELDS = [
    "scenario", "per_class", "imbalance_ratio", "seed", "arm", "family", "mode", "train_images",
    "accuracy", "balanced_accuracy", "minority_recall", "seconds",
]  # fmt: skip
RESULT_KEY = ["scenario", "per_class", "imbalance_ratio", "seed", "arm", "family"]
QUALITY_KEY = ["scenario", "per_class", "imbalance_ratio", "seed", "family"]
QUALITY_METRICS = [
    "frechet_distance", "kid_mean", "kid_std", "precision", "recall", "density", "coverage",
    "label_fidelity", "memorised_fraction",
]  # fmt: skip
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
    """Fail before any training when bench.mode=perturb meets a family without an encoder to perturb with."""
    if config.mode != "perturb" or not any(arm.uses_mode for arm in arms):
        return
    no_encoder = [f for f in config.families if not issubclass(get_family(f).model_class, EncodingModel)]
    if no_encoder:
        raise ValueError(
            f"bench.mode=perturb perturbs real images through a family's encoder, but {no_encoder} has none: "
            "drop it from bench.families or use bench.mode=replace"
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
    threads (on 2 cores, 2 workers of one thread each do about 1.3x the work of one process of two threads). A
    result depends on the threads it was computed with, so a run is reproduced with the same ``workers``.
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
    ):
        check_int("workers", workers, minimum=1)
        self.config, self.data, self.out, self.progress, self.workers = config, data, Path(out), progress, workers
        self._reference: torch.nn.Module | None = None
        self.balanced_arms = check_arms(config.arms, BALANCED_ARMS, "arms")
        self.imbalanced_arms = check_arms(config.imbalance_arms, IMBALANCED_ARMS, "imbalance_arms")
        check_perturb_families(config, self.balanced_arms)
        configs = model_configs or {}
        self.model_configs = {f: configs.get(f) or get_family(f).config_class() for f in config.families}
        # every generator config given, run or not: leaving a family out of bench.families (a row selection, like
        # bench.per_class) keeps the results' fingerprint, so its finished rows stay usable
        self.generator_settings = {f: repr(c) for f, c in {**configs, **self.model_configs}.items()}
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
        """The data set and generator settings, part of the results' fingerprint."""
        return {
            "data_source": self.data.source,
            "num_images": len(self.data),
            "classes": self.data.classes,
            "image_shape": list(self.data.image_shape),
            "generators": self.generator_settings,
            # only when given, so the fingerprints of runs that split their data stay as they were
            **({"held_out": [held.source for held in self.held_out]} if self.held_out is not None else {}),
        }

    def run(self) -> Path:
        cfg = self.config
        description = self.description()
        claim_directory(self.out, cfg.fingerprint(description), {"config": cfg.__dict__, "data": description})
        todo = scenarios(cfg)
        if self.workers == 1:
            for scenario in tqdm(todo, desc="genaug-bench", unit="subset", disable=not self.progress):
                self.run_subset(scenario)
        else:
            if self._quality_pending(todo):
                self.reference()  # trained once here, not once per worker
            run_in_workers(self, todo)
        return self.out

    def run_subset(self, scenario: Scenario) -> None:
        """Measure every arm (and generator quality) of one labelled subset that results.csv lacks."""
        cfg = self.config
        results, quality = ResultsFile(self.out / "results.csv", RESULT_FIELDS, RESULT_KEY), self._quality_file()
        arms = self.balanced_arms if scenario.name == "balanced" else self.imbalanced_arms
        train = scenario.draw(self.pool)
        measured: dict[str, torch.nn.Module] = {}  # arm -> its classifier, for the filtered arms' judge
        for arm in arms:
            if not arm.uses_generator and not results.done(**scenario.key, arm=arm.name, family=""):
                inputs = ArmInputs(train, cfg, scenario.seed)
                measured[arm.name] = self._measure(results, scenario, arm, inputs, family="")
        judge = self.judge(train, scenario.seed, measured)
        for family in cfg.families:
            pending = [
                a for a in arms if a.uses_generator and not results.done(**scenario.key, arm=a.name, family=family)
            ]
            wants_quality = cfg.quality and not quality.done(**scenario.key, family=family)
            if not pending and not wants_quality:
                continue
            model = self._generator(scenario, family, train)
            if wants_quality:
                quality.append({**scenario.key, "family": family, **self._quality(model, self.reference(), train)})
            for arm in pending:
                self._measure(results, scenario, arm, ArmInputs(train, cfg, scenario.seed, model, judge), family)

    def _quality_file(self) -> ResultsFile:
        return ResultsFile(self.out / "quality.csv", [*QUALITY_KEY, *QUALITY_METRICS], QUALITY_KEY)

    def _quality_pending(self, todo: list[Scenario]) -> bool:
        quality = self._quality_file()
        return self.config.quality and not all(
            quality.done(**s.key, family=f) for s in todo for f in self.config.families
        )

    def judge(
        self, train: ImageSet, seed: int, measured: dict[str, torch.nn.Module] | None = None
    ) -> Callable[[], torch.nn.Module]:
        """``ArmInputs.judge`` for the subset ``train``: the classical arm's classifier from ``measured`` (arm ->
        classifier trained on this subset), else trained on first call (the same seed gives the same classifier)."""
        measured = {} if measured is None else measured

        def classical_classifier() -> torch.nn.Module:
            if "classical" not in measured:
                plan = BALANCED_ARMS["classical"].plan(ArmInputs(train, self.config, seed))
                measured["classical"] = self.train_classifier(plan, seed)
            return measured["classical"]

        return classical_classifier

    def _generator(self, scenario: Scenario, family: str, train: ImageSet) -> GenerativeModel:
        """The family's generator for this subset: trained once, kept on disk, resumed after an interruption."""
        cfg = self.config
        steps = cfg.steps_for(family, len(train))
        trainer = TrainerConfig(
            steps=steps, batch_size=cfg.generator_batch_size, seed=scenario.seed, resume=True,
            progress=False, tensorboard=False, sample_every=steps, checkpoint_every=500,
        )  # fmt: skip
        return Trainer(trainer, scenario.generators_dir(self.out) / family).fit(train, self.model_configs[family])

    def reference(self) -> torch.nn.Module:
        """The reference CNN of the quality metrics, trained on the reference split on first call."""
        cfg = self.config
        if self._reference is None:
            self._reference = train_classifier(
                self.reference_set.images, self.reference_set.labels, self.data.num_classes,
                steps=cfg.classifier_steps, batch_size=cfg.classifier_batch_size, lr=cfg.classifier_lr,
                seed=cfg.split_seed,
            )  # fmt: skip
        return self._reference

    def _quality(self, model: GenerativeModel, reference: torch.nn.Module, train: ImageSet) -> dict[str, float]:
        labels = torch.arange(model.num_classes).repeat_interleave(QUALITY_SAMPLES_PER_CLASS)
        synthetic = model.sample(len(labels), labels=labels, seed=0).cpu()
        measured = generator_quality(reference, train.images, self.test.images, synthetic, labels)
        return {k: round(float(measured[k]), 5) for k in QUALITY_METRICS}

    def _measure(
        self, results: ResultsFile, scenario: Scenario, arm: Arm, inputs: ArmInputs, family: str
    ) -> torch.nn.Module:
        """Train and score ``arm``'s classifier, append its row; returns the classifier."""
        start = time.perf_counter()
        plan = arm.plan(inputs)
        classifier = self.train_classifier(plan, scenario.seed)
        scores = evaluate(classifier, self.test, inputs.train)
        results.append({
            **scenario.key, "arm": arm.name, "family": family,
            "mode": self.config.mode if arm.uses_generator else "", "train_images": len(plan.images),
            **scores, "seconds": round(time.perf_counter() - start, 1),
        })  # fmt: skip
        return classifier

    def train_classifier(self, plan: TrainingPlan, seed: int) -> torch.nn.Module:
        """The downstream classifier every arm trains (settings from the config), on ``plan``."""
        cfg = self.config
        return train_classifier(
            plan.images, plan.labels, self.data.num_classes, steps=cfg.classifier_steps,
            batch_size=cfg.classifier_batch_size, lr=cfg.classifier_lr, seed=seed, augment=plan.augment,
            class_weights=plan.class_weights, architecture=cfg.classifier, width=cfg.classifier_width,
        )  # fmt: skip


def evaluate(classifier: torch.nn.Module, test: ImageSet, train: ImageSet) -> dict[str, float | str]:
    """Accuracy, balanced accuracy and minority recall (mean recall of the half of the classes with the fewest
    training images; blank when the training subset is balanced) on the test split."""
    predicted = predict(classifier, test.images).numpy()
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
