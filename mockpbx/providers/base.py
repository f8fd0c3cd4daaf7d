"""The anatomy every provider face shares: one dispatch skeleton and one options idiom.

A face supplies its own parts: how to parse a request, how to render its wire
error. The base holds the steps every face does, in this order:

1. tag the request for the journal (`keys.FACE`, `keys.METHOD`, `keys.JOURNAL_PARAMS`);
2. let the fault hook intercept once the method is known (`state.faults.intercept`);
3. map an `InjectedFault` the hook raised to the face's wire error;
4. map a domain error (`mockpbx.core.errors.WorldError`) to the face's wire error;
5. tag `keys.ERROR` for the journal and render the error.

`Face.dispatch` runs a face's own steps and does 3-5 for whatever they raise;
`Face.tag` and `Face.intercept` are 1 and 2. `keys.FAULT` holds the comma-joined
kinds of the faults that hit the request: the fault layer (`mockpbx.faults`) marks
them itself; for a hook that does not, `dispatch` marks the injected fault's kind.

Options: each face has one pydantic model (unknown keys are errors), wrapped in a
`FaceOptions` kept in `mockpbx.providers.registry` by face name. `FaceOptions.of`
is the typed accessor (cheap: one dict lookup once converted); `update` merges a
partial body (the generic control route `/_mockpbx/{face}/options`); `install`
records the options in effect when the server is built as the face's baseline,
which every reset restores (`ServerState.reset`).

This module imports no face; faces import it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiohttp import web
from pydantic import BaseModel

from mockpbx import keys
from mockpbx.core.errors import WorldError
from mockpbx.state import InjectedFault, ServerState

__all__ = ["Face", "FaceOptions", "OptionError"]

C = TypeVar("C")  # what a face's steps get: its per-request context
E = TypeVar("E", bound=Exception)  # the face's wire error
M = TypeVar("M", bound=BaseModel)  # the face's options model

_UNSET: Any = object()


class Face(ABC, Generic[C, E]):
    """One provider face's dispatch: its name, its wire error, and how to render it."""

    def __init__(self, name: str, error: type[E]) -> None:
        self.name = name
        self.error = error

    # -- 1. tag, 2. intercept ----------------------------------------------------------
    def tag(self, request: web.Request, method: str | None = None, params: Any = _UNSET) -> None:
        """Name the request for the journal: this face, the method, the parameters shown."""
        request[keys.FACE] = self.name
        if method is not None:
            request[keys.METHOD] = method
        if params is not _UNSET:
            request[keys.JOURNAL_PARAMS] = params

    async def intercept(
        self, request: web.Request, state: ServerState, method: str
    ) -> web.StreamResponse | None:
        """The fault hook: a response to send as is, or None; an `InjectedFault` it
        raises reaches `dispatch`, which renders it as the face's error."""
        return await state.faults.intercept(request, self.name, method)

    # -- 3.-5. errors ----------------------------------------------------------------
    async def dispatch(
        self,
        ctx: C,
        request: web.Request,
        steps: Callable[[C], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """Run the face's `steps`; an error they raise becomes the face's wire error."""
        try:
            return await steps(ctx)
        except self.error as exc:
            failure = exc
        except InjectedFault as fault:
            if not request.get(keys.FAULT):
                request[keys.FAULT] = fault.kind
            failure = self.fault_error(ctx, fault)
        except WorldError as exc:
            failure = self.domain_error(ctx, exc)
        return self.fail(ctx, request, failure)

    def fail(self, ctx: C, request: web.Request, failure: E) -> web.StreamResponse:
        """Tag the journal's error and render `failure` (for errors found outside `steps`)."""
        text = self.journal_error(failure)
        if text is not None:
            request[keys.ERROR] = text
        return self.render_error(ctx, failure)

    @abstractmethod
    def fault_error(self, ctx: C, fault: InjectedFault) -> E:
        """An injected fault as the error the real provider would answer."""

    @abstractmethod
    def domain_error(self, ctx: C, exc: WorldError) -> E:
        """A world error no handler translated itself (re-raise it to answer 500)."""

    @abstractmethod
    def journal_error(self, exc: E) -> str | None:
        """What the journal shows as the request's error (None: nothing)."""

    @abstractmethod
    def render_error(self, ctx: C, exc: E) -> web.StreamResponse:
        """The face's wire form of `exc`."""


class OptionError(ValueError):
    """An option value a face refuses beyond its model's types (names the field)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


OptionCheck = Callable[[ServerState, Mapping[str, Any]], None]


@dataclass(frozen=True, eq=False, slots=True)
class FaceOptions(Generic[M]):
    """A face's options: its model, kept in `state.options[face]` as an instance of it.

    `check` refuses what the model's types cannot (raises `OptionError`); `changed`
    runs after an update (e.g. wake a dispatcher). Options are frozen models, so a
    baseline can be handed back on reset without copying.
    """

    face: str
    model: type[M]
    check: OptionCheck | None = None
    changed: Callable[[ServerState], None] | None = None

    def of(self, state: ServerState) -> M:
        """The options in effect (a dict or None stored there is converted once)."""
        raw = state.options.get(self.face)
        if isinstance(raw, self.model):
            return raw
        opts = self.model.model_validate(raw if raw is not None else {})
        state.options[self.face] = opts
        return opts

    def update(self, state: ServerState, body: Mapping[str, Any]) -> M:
        """Merge a partial `body` into the options in effect: `OptionError` names an
        unknown key, pydantic's `ValidationError` a bad value; nothing changes then."""
        unknown = sorted(set(body) - set(self.model.model_fields))
        if unknown:
            raise OptionError(unknown[0], f"unknown {self.face} option(s): {', '.join(unknown)}")
        if self.check is not None:
            self.check(state, body)
        merged = self.model.model_validate({**self.of(state).model_dump(), **body})
        state.options[self.face] = merged
        if self.changed is not None:
            self.changed(state)
        return merged

    def install(self, state: ServerState) -> M:
        """Make the options in effect now the face's baseline, restored by every reset."""
        opts = self.of(state)
        state.options_baseline[self.face] = opts
        return opts
