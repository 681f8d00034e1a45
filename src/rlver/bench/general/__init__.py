"""General-ability retention: a built-in exactly-checked suite, and an lm-evaluation-harness wrapper."""

from rlver.bench.general.checkers import check_code, check_constraint, check_instruction, check_math
from rlver.bench.general.lm_eval import LMEvalConfig, build_lm_eval_command, lm_eval_available, run_lm_eval
from rlver.bench.general.runner import (
    CATEGORIES,
    DeltaRow,
    ItemResult,
    SuiteItem,
    check_item,
    compare_general,
    general_delta_markdown,
    load_general,
    load_suite,
    run_general_suite,
    summarize_general,
    write_general,
)
from rlver.bench.general.sandbox import SandboxLimits, SandboxResult, run_python_tests

__all__ = [
    "CATEGORIES",
    "SuiteItem",
    "ItemResult",
    "DeltaRow",
    "load_suite",
    "check_item",
    "run_general_suite",
    "summarize_general",
    "write_general",
    "load_general",
    "compare_general",
    "general_delta_markdown",
    "check_math",
    "check_code",
    "check_constraint",
    "check_instruction",
    "SandboxLimits",
    "SandboxResult",
    "run_python_tests",
    "LMEvalConfig",
    "build_lm_eval_command",
    "lm_eval_available",
    "run_lm_eval",
]
