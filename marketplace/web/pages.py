"""Helpers every page handler uses: render a template with the caller in context."""

from __future__ import annotations

from typing import Any

from litestar.response import Redirect, Template

from marketplace.identity.schemas import Principal


def page(
    template: str,
    principal: Principal | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """Render ``template`` with the caller (for the navigation) and ``context``."""
    return Template(
        template_name=template,
        context={"principal": principal, **context},
        status_code=status_code,
    )


def safe_next(path: str | None, default: str = "/") -> str:
    """Only same-site paths are followed after login (no open redirect)."""
    if not path or not path.startswith("/") or path.startswith("//"):
        return default
    return path


def see_other(path: str) -> Redirect:
    """The answer to a successful form post: 303 so a reload does not resubmit."""
    return Redirect(path=path, status_code=303)
