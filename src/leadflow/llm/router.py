"""The one door to language models: typed output, timeouts, retries, breakers and cost per call.

Agents never hold a model; they ask the router::

    result = router.run(
        agent_name="qualification", tier="strong",
        instructions=QUALIFY_PROMPT, prompt=lead_summary, output_type=Qualification,
    )
    result.output        # a validated Qualification
    result.cost_usd      # priced from the settings' table

Every failure arrives as a leadflow exception, so callers need only one ``except``: ``Unavailable``
(``ModelFailure``, ``RateLimited``, ``CircuitOpen``) means "use the offline engine", ``AuthFailed``
and ``ConfigError`` mean the deployment is wrong. :attr:`ModelRouter.available` is ``False`` when
no provider is configured, so agents can skip the call entirely.

``run`` is synchronous and thread-safe: model calls run on one private event loop (see ``_loop``).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar, cast

from pydantic_ai import Agent

from leadflow.exceptions import AuthFailed, ConfigError, LeadflowError, ModelFailure
from leadflow.llm._errors import translate
from leadflow.llm._loop import BackgroundLoop
from leadflow.llm.usage import FREE, ModelPrice, UsageLedger
from leadflow.resilience import BreakerRegistry, backoff_delay

if TYPE_CHECKING:
    import httpx2
    from pydantic_ai.models import Model

    from leadflow.llm.settings import LLMSettings

__all__ = ["LLMResult", "ModelRouter"]

T = TypeVar("T")

logger = logging.getLogger(__name__)

# Extra seconds the waiting thread allows beyond the run's own timeout, for cancellation to land.
_GRACE = 1.0


class _AsyncClosable(Protocol):
    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class LLMResult(Generic[T]):
    """One successful model call.

    Attributes:
        output: The validated output, an instance of the requested ``output_type``.
        model_name: ``provider:model`` that answered, e.g. ``openai:gpt-4o-mini``.
        input_tokens: Tokens sent, summed over the run's requests (output retries included).
        output_tokens: Tokens received, summed likewise.
        cost_usd: What the call cost at the configured prices.
        latency_ms: Wall time of the successful attempt.
        attempts: Attempts made, 1 when the first one succeeded.
    """

    output: T
    model_name: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_ms: float
    attempts: int = 1


class ModelRouter:
    """Route agent calls to the model for their tier, with retries, breakers and accounting.

    Args:
        models: The model serving each tier (``"fast"``, ``"strong"``); empty or ``None`` when no
            provider is configured. Tests pass ``FunctionModel`` or ``TestModel`` instances.
        prices: Price lookup by model name; free when not given.
        timeout: Default seconds allowed for one attempt.
        max_retries: Extra attempts after a transient failure (5xx, 429, timeout, connection).
        output_retries: How often pydantic-ai asks the model again after malformed output.
        base_delay: Seconds before the first retry; doubles each time.
        max_delay: Cap on a single pause between attempts.
        ledger: Where usage is summed; a fresh one when not given.
        breakers: Circuit breakers, one per ``provider:model``; a fresh registry when not given.
        sleep: How to pause between attempts (inject a no-op in tests).
        jitter: Numbers in [0, 1] that spread the pauses.
        secrets: Strings that must never appear in an error message (the API key).
        resources: Async resources to close with the router, such as an injected
            ``httpx2.AsyncClient`` the router should own; they are closed on its event loop.
    """

    def __init__(
        self,
        models: Mapping[str, Model] | None = None,
        *,
        prices: Callable[[str], ModelPrice] | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        output_retries: int = 1,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        ledger: UsageLedger | None = None,
        breakers: BreakerRegistry | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        secrets: Sequence[str] = (),
        resources: Sequence[_AsyncClosable] = (),
    ) -> None:
        self._models = dict(models or {})
        self._prices = prices or (lambda _model: FREE)
        self.timeout = timeout
        self.max_retries = max_retries
        self.output_retries = output_retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.ledger = ledger if ledger is not None else UsageLedger()
        self.breakers = breakers if breakers is not None else BreakerRegistry()
        self._sleep = sleep
        self._jitter = jitter
        self._secrets = tuple(s for s in secrets if s)
        self._agents: dict[tuple[str, str, object], Agent[None, Any]] = {}
        self._agents_lock = threading.Lock()
        self._loop = BackgroundLoop()
        self._resources = tuple(resources)

    @classmethod
    def from_settings(
        cls,
        settings: LLMSettings,
        *,
        http_client: httpx2.AsyncClient | None = None,
        **kwargs: Any,
    ) -> ModelRouter:
        """Build the models ``settings`` name and a router over them.

        Args:
            settings: Validated LLM settings; provider ``none`` gives an unavailable router.
            http_client: Optional HTTP client for every provider request.
            **kwargs: Further :class:`ModelRouter` arguments (ledger, breakers, sleep, ...).
        """
        from leadflow.llm.providers import build_model

        models: dict[str, Model] = {}
        for tier in ("fast", "strong"):
            model = build_model(settings, tier, http_client=http_client)
            if model is not None:
                models[tier] = model
        secret = settings.api_key.get_secret_value() if settings.api_key is not None else ""
        kwargs.setdefault("timeout", settings.timeout)
        kwargs.setdefault("max_retries", settings.max_retries)
        logger.info("LLM router: %s", settings.describe())
        return cls(models, prices=settings.price_for, secrets=(secret,), **kwargs)

    @property
    def available(self) -> bool:
        """Whether any model is configured; ``False`` means agents must use their offline engines."""
        return bool(self._models)

    @property
    def tiers(self) -> tuple[str, ...]:
        """The tiers this router can serve."""
        return tuple(self._models)

    def model_label(self, tier: str) -> str:
        """``provider:model`` serving ``tier``, the key for its breaker and usage rows.

        Raises:
            ModelFailure: When no provider is configured (callers fall back).
            ConfigError: When the tier is unknown.
        """
        return self._label(self._model(tier))

    def run(
        self,
        *,
        agent_name: str,
        tier: str,
        instructions: str,
        prompt: str,
        output_type: type[T],
        timeout: float | None = None,
    ) -> LLMResult[T]:
        """Ask the ``tier`` model for an ``output_type``, retrying transient failures.

        Args:
            agent_name: Who is asking, for usage rows and error messages.
            tier: ``"fast"`` or ``"strong"``.
            instructions: The system instructions for this call.
            prompt: The user prompt.
            output_type: The type to return; pydantic models are requested as structured output.
            timeout: Seconds for each attempt; the router's default when ``None``.

        Returns:
            The validated output with its model, tokens, cost and latency.

        Raises:
            ModelFailure: Malformed output or a refusal after pydantic-ai's output retries, a
                timeout, a provider error that outlived the retries, or no model configured.
            RateLimited: The provider kept answering 429.
            AuthFailed: The provider rejected the credentials.
            CircuitOpen: The model's breaker is open; the model was not called.
            ConfigError: An unknown tier or an output type pydantic-ai cannot use.
        """
        model = self._model(tier)
        label = self._label(model)
        breaker = self.breakers.get(label)
        agent = self._agent(agent_name, tier, model, output_type)
        seconds = self.timeout if timeout is None else timeout
        where = f"{agent_name} via {label}"
        attempts = self.max_retries + 1
        for attempt in range(1, attempts + 1):
            breaker.check()  # raises CircuitOpen without calling the model
            started = time.perf_counter()
            try:
                result = self._loop.run(
                    agent.run(prompt, instructions=instructions, timeout=seconds), timeout=seconds + _GRACE
                )
            except Exception as exc:
                latency = (time.perf_counter() - started) * 1000
                error, transient = translate(exc, where=where, timeout=seconds, secrets=self._secrets)
                breaker.record_failure()
                if transient and attempt < attempts:
                    delay = backoff_delay(
                        attempt, base_delay=self.base_delay, max_delay=self.max_delay, jitter=self._jitter
                    )
                    logger.warning("%s (attempt %d/%d), retrying in %.2fs", error, attempt, attempts, delay)
                    self._sleep(delay)
                    continue
                self.ledger.record(agent_name=agent_name, model=label, latency_ms=latency, ok=False)
                logger.warning("%s (attempt %d/%d, giving up)", error, attempt, attempts)
                if error is exc:
                    raise
                if isinstance(error, AuthFailed):
                    # The provider's message (kept in the cause) may echo part of the key.
                    raise error from None
                raise error from exc
            latency = (time.perf_counter() - started) * 1000
            breaker.record_success()
            usage = result.usage
            cost = self._prices(model.model_name).cost(usage.input_tokens, usage.output_tokens)
            self.ledger.record(
                agent_name=agent_name,
                model=label,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cost_usd=cost,
                latency_ms=latency,
            )
            return LLMResult(
                output=cast(T, result.output),
                model_name=label,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cost_usd=cost,
                latency_ms=latency,
                attempts=attempt,
            )
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def close(self) -> None:
        """Close the HTTP clients the providers own and stop the event loop thread.

        An injected ``http_client`` belongs to the caller and stays open. The router still works
        after ``close``: the next call starts a new loop and the providers new clients.
        """
        self._loop.close(cleanup=self._close_models())

    async def _close_models(self) -> None:
        # Entering and leaving a model's context is pydantic-ai's way to close the client its
        # provider created (and only that one).
        for model in self._models.values():
            try:
                await model.__aenter__()
                await model.__aexit__(None, None, None)
            except Exception:  # closing is best effort
                logger.debug("could not close the client of %s", self._label(model), exc_info=True)
        for resource in self._resources:
            try:
                await resource.aclose()
            except Exception:
                logger.debug("could not close %r", resource, exc_info=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _model(self, tier: str) -> Model:
        if not self._models:
            raise ModelFailure(f"no model provider is configured (tier {tier!r}); use the offline engine")
        try:
            return self._models[tier]
        except KeyError:
            known = ", ".join(sorted(self._models))
            raise ConfigError(f"unknown model tier {tier!r}; configured tiers: {known}") from None

    @staticmethod
    def _label(model: Model) -> str:
        return f"{model.system}:{model.model_name}"

    def _agent(self, agent_name: str, tier: str, model: Model, output_type: type[T]) -> Agent[None, Any]:
        # One pydantic-ai Agent per (agent, tier, output type); instructions vary per call, so
        # they are passed to each run instead of being part of the key.
        key = (agent_name, tier, output_type)
        with self._agents_lock:
            agent = self._agents.get(key)
            if agent is None:
                try:
                    agent = Agent(
                        model,
                        output_type=output_type,
                        name=agent_name,
                        retries={"output": self.output_retries},
                    )
                except LeadflowError:
                    raise
                except Exception as exc:
                    raise ConfigError(
                        f"{agent_name}: cannot build an agent for {output_type!r}: {exc}"
                    ) from exc
                self._agents[key] = agent
            return agent
