"""Shared pieces of the adapter tests: a deterministic simulated user, profiles, a tiny policy."""

from __future__ import annotations

from dataclasses import dataclass, field

from rlver.policy.hf import GenerationSettings, HFPolicy
from rlver.profiles.schema import Profile
from rlver.simulator.base import Appraisal, DialogueState, SentientAgent, UserReply
from rlver.simulator.presets import Preset

TARGET = "e"
"""The letter simulator likes replies full of this letter."""

PRESET = Preset(
    name="adapter-test",
    initial_emotion=30,
    max_change=None,
    max_policy_turns=2,
    appraise_final_turn=True,
    end_on_success=False,
    failure_below=0,
    scripted_opening=True,
    disclosure="hidden",
)


def target_share(reply: str) -> float:
    letters = [c for c in reply.lower() if c.isalpha()]
    return sum(c == TARGET for c in letters) / len(letters) if letters else 0.0


class LetterAgent(SentientAgent):
    """Deterministic simulated user: change = round(100 * share of 'e' among the reply's letters) - 5.

    Its user turns differ per turn and per profile, so traces have non-trivial masked stretches.
    """

    name = "letter"

    async def opening(self, state: DialogueState) -> UserReply:
        return UserReply(response=f"I had a rough day, {state.profile.id}.")

    async def appraise(self, state: DialogueState, reply: str) -> Appraisal:
        change = round(100 * target_share(reply)) - 5
        return Appraisal(content=reply, target_completion="", activity="", analyse="", change=change)

    async def respond(self, state: DialogueState, appraisal: Appraisal) -> UserReply:
        return UserReply(response=f"Go on ({state.policy_turns}). My sister said nothing.")


def make_profiles(n: int = 3) -> list[Profile]:
    return [Profile(id=f"p{i}", persona=f"Person {i}", scene="A rough day at work.", task="be heard",
                    first_talk=f"Today was hard ({i}).") for i in range(n)]


def greedy_policy(model, tokenizer, max_new_tokens: int = 6) -> HFPolicy:
    return HFPolicy(model, tokenizer, GenerationSettings(temperature=0.0, max_new_tokens=max_new_tokens, seed=0))


@dataclass
class FakeTokenOutput:
    """The fields of verl's ``TokenOutput`` that agent loops read."""

    token_ids: list[int]
    log_probs: list[float] | None = None
    num_preempted: int | None = None
    routed_experts: object = None
    stop_reason: str | None = "completed"
    extra_fields: dict = field(default_factory=dict)


class FakeServerManager:
    """Stands in for verl's ``LLMServerClient``: ``generate`` samples from a local tiny model.

    Records every call so tests can check what the adapter asked for.
    """

    def __init__(self, generator, output_cls=FakeTokenOutput) -> None:
        self.generator = generator
        self.output_cls = output_cls
        self.calls: list[dict] = []

    async def generate(self, request_id, *, prompt_ids, sampling_params, **kwargs):
        from rlver.integrations.token_policy import TokenSampling

        self.calls.append({"request_id": request_id, "prompt_ids": list(prompt_ids), "sampling_params": dict(sampling_params)})
        budget = int(sampling_params["max_tokens"])
        out = await self.generator(list(prompt_ids), TokenSampling(budget, (), request_id))
        return self.output_cls(token_ids=out.ids, log_probs=out.logprobs if sampling_params.get("logprobs") else None)


class FakeTRLTrainer:
    """The attributes of ``trl.GRPOTrainer`` that :class:`RlverRolloutFunc` reads (no TRL needed)."""

    def __init__(self, model, tokenizer, *, temperature: float = 0.0, max_completion_length: int = 1024,
                 num_generations: int = 1, seed: int = 0, step: int = 0) -> None:
        from types import SimpleNamespace

        self.model = model
        self.processing_class = tokenizer
        self.args = SimpleNamespace(temperature=temperature, top_p=1.0, max_completion_length=max_completion_length,
                                    seed=seed, per_device_train_batch_size=8)
        self.state = SimpleNamespace(global_step=step)
        self.accelerator = SimpleNamespace(process_index=0, unwrap_model=lambda m: m)
        self.num_generations = num_generations
        self.use_vllm = False


async def native_episodes(model, tokenizer, profiles, *, max_new_tokens: int = 6, temperature: float = 0.0,
                          seed: int = 0, system_prompt=None, simulator=None, preset=PRESET):
    """The native path: HFPolicy + run_dialogues, all dialogues batched per turn."""
    from rlver.rollout.loop import DialogueJob, RolloutConfig, run_dialogues

    policy = HFPolicy(model, tokenizer, GenerationSettings(temperature=temperature, max_new_tokens=max_new_tokens,
                                                           seed=seed))
    jobs = [DialogueJob(profile=p, seed=0, id=p.id) for p in profiles]
    config = RolloutConfig(preset=preset, system_prompt=system_prompt)
    return await run_dialogues(jobs, policy, simulator or LetterAgent(), config)
