"""The rule registry: an explicit tuple, read top to bottom."""

from __future__ import annotations

from dffix.rules.apt import AptGetSplitAcrossRuns, AptListsNotRemoved
from dffix.rules.base import Fixability, Rule, Violation
from dffix.rules.buildable import (
    CircularStageReference,
    DuplicateStageName,
    InstructionBeforeFrom,
    InvalidStageName,
    MissingFrom,
    UnknownFlag,
    UnknownInstruction,
    WrongArgumentCount,
)
from dffix.rules.cmd import ShellFormCmd
from dffix.rules.copy import AddForLocalFiles
from dffix.rules.deps import CopyAllBeforeInstall
from dffix.rules.dockerignore import MissingDockerignore
from dffix.rules.images import FullBaseImage
from dffix.rules.layers import ConsecutiveRunInstructions
from dffix.rules.multistage import SingleStageBuild
from dffix.rules.packages import (
    ApkCacheKept,
    AptGetInstallRecommends,
    AptGetWithoutYes,
    DnfCacheKept,
    NpmCacheKept,
    PackageInstallWithoutYes,
    PipCacheKept,
    UnsortedPackageList,
    YumCacheKept,
    ZypperCacheKept,
)
from dffix.rules.practices import (
    AptGetUpgrade,
    BuildToolsInFinalStage,
    CdInRun,
    MultipleProcessesInContainer,
    PipeWithoutPipefail,
    RelativeWorkdir,
    RepeatedCmdOrEntrypoint,
    SecretInArgOrEnv,
    SudoInRun,
    UnpinnedBaseImage,
)
from dffix.rules.style import (
    DeprecatedMaintainer,
    FromAsCaseMismatch,
    LegacyKeyValueFormat,
    MixedInstructionCase,
)
from dffix.rules.user import RootFinalUser

ALL_RULES: tuple[type[Rule], ...] = (
    UnknownInstruction,
    InstructionBeforeFrom,
    MissingFrom,
    WrongArgumentCount,
    UnknownFlag,
    CircularStageReference,
    DuplicateStageName,
    InvalidStageName,
    AptGetSplitAcrossRuns,
    AptListsNotRemoved,
    UnsortedPackageList,
    AptGetInstallRecommends,
    AptGetWithoutYes,
    ApkCacheKept,
    PipCacheKept,
    YumCacheKept,
    DnfCacheKept,
    ZypperCacheKept,
    NpmCacheKept,
    PackageInstallWithoutYes,
    ConsecutiveRunInstructions,
    AddForLocalFiles,
    CopyAllBeforeInstall,
    MissingDockerignore,
    RootFinalUser,
    ShellFormCmd,
    FullBaseImage,
    SingleStageBuild,
    DeprecatedMaintainer,
    FromAsCaseMismatch,
    MixedInstructionCase,
    LegacyKeyValueFormat,
    UnpinnedBaseImage,
    AptGetUpgrade,
    SudoInRun,
    CdInRun,
    RelativeWorkdir,
    PipeWithoutPipefail,
    RepeatedCmdOrEntrypoint,
    MultipleProcessesInContainer,
    BuildToolsInFinalStage,
    SecretInArgOrEnv,
)


def rule_by_selector(word: str) -> list[type[Rule]]:
    """Return the rules a selector names (code, name, alias, DF prefix or ALL)."""
    return [r for r in ALL_RULES if r.matches(word)]


__all__ = ["ALL_RULES", "Fixability", "Rule", "Violation", "rule_by_selector"]
