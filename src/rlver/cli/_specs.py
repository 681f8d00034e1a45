"""Turn command-line specs into objects: ``--policy openai:gpt-4.1``, ``--simulator offline``, ...

Specs are the one place where the CLI picks implementations; everything below the CLI receives
objects (policies, simulators, clients), so tests and library users can inject their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from rlver.errors import ConfigError
from rlver.policy.base import Policy
from rlver.simulator.base import UserSimulator

__all__ = [
    "POLICY_SPECS",
    "SIMULATOR_SPECS",
    "EndpointOptions",
    "MAX_NEW_TOKENS_HELP",
    "PolicySampling",
    "TEMPERATURE_HELP",
    "TOP_P_HELP",
    "key_env_help",
    "make_chat_client",
    "make_policy",
    "make_simulator",
]

POLICY_SPECS = "openai:MODEL, reference:random, reference:oracle, hf:PATH, builtin:tiny"
SIMULATOR_SPECS = "offline, openai:MODEL"


TEMPERATURE_HELP = "Policy sampling temperature (default: a local model's own generation config, else 1.0; API 0.7)."
TOP_P_HELP = "Policy nucleus sampling mass (default: a local model's own generation config, else 1.0)."
MAX_NEW_TOKENS_HELP = "Most tokens per policy reply (default: 256 for a local model, 1024 for an API policy)."


def key_env_help(role: str) -> str:
    """The one help text of every ``--<role>-key-env`` flag."""
    return (
        f"Name of the environment variable holding the {role} endpoint's API key (the key itself is "
        "never a flag). Default: OPENAI_API_KEY for api.openai.com, no key for any other endpoint."
    )


@dataclass(frozen=True)
class EndpointOptions:
    """Connection settings for an OpenAI-compatible endpoint given on the command line."""

    base_url: str | None = None
    """Endpoint base URL, e.g. ``http://localhost:8000/v1``; ``None`` = OpenAI's."""
    api_key_env: str | None = None
    """Name of the environment variable holding the API key (the key itself never appears in args);
    ``None``: ``OPENAI_API_KEY`` for OpenAI's own endpoint, no key for any other."""
    max_concurrency: int = 32
    """Requests in flight at once to this endpoint."""
    timeout: float = 120.0
    """Seconds before one request is abandoned (then retried)."""
    max_retries: int = 5
    """Bounded retries with exponential backoff (429 Retry-After honoured)."""
    cache_dir: str | None = None
    """On-disk response cache; a rerun with the same requests calls the endpoint no more."""
    temperature: float | None = None
    """Sampling temperature; ``None`` = the role's default (simulator 0.0, policy 0.7)."""
    seed: int = 0
    """Sampling seed sent to the endpoint."""


@dataclass(frozen=True)
class PolicySampling:
    """How the policy samples its replies (``--temperature``, ``--top-p``, ``--max-new-tokens``)."""

    temperature: float | None = None
    """``None``: a local model's own generation config (else 1.0); 0.7 for an API policy."""
    top_p: float | None = None
    """Nucleus mass; ``None``: a local model's own generation config (else 1.0); the API's default."""
    max_new_tokens: int | None = None
    """Most tokens per reply; ``None``: 256 for a local model, 1024 for an API policy."""

    def __post_init__(self) -> None:
        if self.temperature is not None and self.temperature < 0:
            raise ConfigError(f"--temperature must be >= 0, got {self.temperature}")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ConfigError(f"--top-p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens is not None and self.max_new_tokens < 1:
            raise ConfigError(f"--max-new-tokens must be >= 1, got {self.max_new_tokens}")


def _split(spec: str, what: str, valid: str) -> tuple[str, str]:
    kind, _, arg = spec.partition(":")
    if not kind:
        raise ConfigError(f"empty {what} spec; expected one of: {valid}")
    return kind, arg


def make_chat_client(model: str, options: EndpointOptions, *, default_temperature: float):
    from rlver.llm.client import ClientConfig, OpenAIChatClient
    from rlver.llm.types import SamplingParams

    if not model:
        raise ConfigError("an openai: spec needs a model name, e.g. openai:deepseek-chat")
    temperature = default_temperature if options.temperature is None else options.temperature
    config = ClientConfig(
        base_url=options.base_url or "https://api.openai.com/v1",
        model=model,
        api_key_env=options.api_key_env,
        timeout=options.timeout,
        max_concurrency=options.max_concurrency,
        max_retries=options.max_retries,
        cache_dir=options.cache_dir,
        sampling=SamplingParams(temperature=temperature, seed=options.seed),
    )
    return OpenAIChatClient(config)


def make_policy(
    spec: str, options: EndpointOptions | None = None, *, seed: int = 0, sampling: PolicySampling | None = None
) -> Policy:
    """Build a policy from ``openai:MODEL``, ``reference:random|oracle``, ``hf:PATH`` or ``builtin:tiny``."""
    from dataclasses import replace

    kind, arg = _split(spec, "policy", POLICY_SPECS)
    options = options or EndpointOptions()
    sampling = sampling or PolicySampling()
    if kind == "openai":
        from rlver.policy.openai_policy import DEFAULT_POLICY_SAMPLING, OpenAIPolicy

        if sampling.temperature is not None:
            options = replace(options, temperature=sampling.temperature)
        client = make_chat_client(arg, options, default_temperature=DEFAULT_POLICY_SAMPLING.temperature)
        params = replace(
            client.config.sampling,
            top_p=sampling.top_p,
            max_tokens=sampling.max_new_tokens or DEFAULT_POLICY_SAMPLING.max_tokens,
        )
        return OpenAIPolicy(client, sampling=params)
    if kind == "reference":
        from rlver.policy.reference import ReferencePolicy

        if arg not in ("random", "oracle"):
            raise ConfigError(f"unknown reference policy {arg!r}; use reference:random or reference:oracle")
        return ReferencePolicy(mode=arg, seed=seed)
    if kind in ("hf", "builtin"):
        from rlver.policy.hf import GenerationSettings, HFPolicy

        path = _hf_path(kind, arg)
        settings = GenerationSettings(
            seed=seed,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            **({"max_new_tokens": sampling.max_new_tokens} if sampling.max_new_tokens else {}),
        )
        return HFPolicy.from_pretrained(path, settings=settings)
    raise ConfigError(f"unknown policy spec {spec!r}; expected one of: {POLICY_SPECS}")


def hf_model_path(spec: str) -> str:
    """Local directory of an ``hf:PATH`` or ``builtin:tiny`` policy spec."""
    kind, arg = _split(spec, "policy", POLICY_SPECS)
    if kind not in ("hf", "builtin"):
        raise ConfigError(f"training needs a local Hugging Face policy (hf:PATH or builtin:tiny), got {spec!r}")
    return _hf_path(kind, arg)


def _hf_path(kind: str, arg: str) -> str:
    from pathlib import Path

    if kind == "builtin":
        if arg != "tiny":
            raise ConfigError(f"unknown built-in policy {arg!r}; the only one is builtin:tiny")
        try:
            from rlver.models.builtin import tiny_policy_path
        except ModuleNotFoundError:
            raise ConfigError("builtin:tiny is not available in this version of rlver") from None
        return str(tiny_policy_path())
    if not arg or not Path(arg).is_dir():
        raise ConfigError(f"hf:PATH needs a local model directory; {arg!r} is not one")
    return arg


def make_simulator(spec: str, options: EndpointOptions | None = None, *, language: str | None = None) -> UserSimulator:
    """Build a simulated user from ``offline`` or ``openai:MODEL``."""
    kind, arg = _split(spec, "simulator", SIMULATOR_SPECS)
    options = options or EndpointOptions()
    if kind == "offline":
        from rlver.simulator.offline import OfflineSentientAgent

        return OfflineSentientAgent()
    if kind == "openai":
        from rlver.simulator.llm_agent import LLMSentientAgent

        client = make_chat_client(arg, options, default_temperature=0.0)
        return LLMSentientAgent(client, language=language, sampling=client.config.sampling)
    raise ConfigError(f"unknown simulator spec {spec!r}; expected one of: {SIMULATOR_SPECS}")
