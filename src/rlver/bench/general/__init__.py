"""General-ability retention: a built-in exactly-checked suite, and an lm-evaluation-harness wrapper."""

from rlver.utils.lazy import lazy_exports


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

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "rlver.bench.general.checkers": ["check_code", "check_constraint", "check_instruction", "check_math"],
        "rlver.bench.general.lm_eval": [
            "LMEvalConfig",
            "build_lm_eval_command",
            "lm_eval_available",
            "run_lm_eval",
        ],
        "rlver.bench.general.runner": [
            "CATEGORIES",
            "DeltaRow",
            "ItemResult",
            "SuiteItem",
            "check_item",
            "compare_general",
            "general_delta_markdown",
            "load_general",
            "load_suite",
            "run_general_suite",
            "summarize_general",
            "write_general",
        ],
        "rlver.bench.general.sandbox": ["SandboxLimits", "SandboxResult", "run_python_tests"],
    },
)
