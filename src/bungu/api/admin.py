"""Agents and their tokens in the admin, for staff allowed to manage them (the Owner role).

Issuing a token shows it on the next page, once; it is never stored, put in a message or a
cookie. A token cannot be edited, only revoked.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from .models import FUNCTION_CHOICES, Agent, AgentToken
from .tokens import MAX_DAYS, issue_token, revoke_token


class AgentForm(forms.ModelForm[Agent]):
    functions = forms.MultipleChoiceField(
        choices=FUNCTION_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Agent
        fields = ["company", "functions", "contact", "carrier", "is_active"]


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin[Agent]):
    form = AgentForm
    list_display = ["company", "functions", "carrier", "is_active", "created_at"]
    search_fields = ["company"]


class IssueTokenForm(forms.ModelForm[AgentToken]):
    days = forms.IntegerField(min_value=1, max_value=MAX_DAYS, initial=90)

    class Meta:
        model = AgentToken
        fields = ["agent", "function"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        agent, function = data.get("agent"), data.get("function")
        if agent is not None and function and function not in agent.functions:
            self.add_error("function", f"{agent.company} does not perform this function.")
        return data


@admin.register(AgentToken)
class AgentTokenAdmin(admin.ModelAdmin[AgentToken]):
    list_display = ["prefix", "agent", "function", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["function"]
    readonly_fields = [
        "agent",
        "function",
        "prefix",
        "issued_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    actions = ["revoke"]

    def get_form(
        self,
        request: HttpRequest,
        obj: AgentToken | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        if obj is None:
            kwargs["form"] = IssueTokenForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: AgentToken | None = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: AgentToken | None = None) -> Any:
        return self.readonly_fields if obj is not None else ["agent", "function", "days"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: AgentToken, form: Any, change: bool) -> None:
        if change:
            return
        issued = issue_token(
            agent=obj.agent,
            function=obj.function,
            days=form.cleaned_data["days"],
            issued_by=f"staff #{request.user.pk}",
        )
        obj.__dict__.update(issued.token.__dict__)
        # Only for the page that follows; never saved.
        obj._shown_once = issued.secret  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: AgentToken, post_url_continue: str | None = None
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "Token issued",
            "token": obj,
            "secret": getattr(obj, "_shown_once", ""),
            "opts": self.opts,
        }
        return TemplateResponse(request, "api/token_issued.html", context)

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[AgentToken]) -> None:
        for token in queryset:
            revoke_token(token=token)
        messages.success(request, f"Revoked {queryset.count()} token(s).")
