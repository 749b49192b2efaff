from django.contrib import admin

from .models import Order, OrderEvent, OrderLine


class OrderLineInline(admin.TabularInline):  # type: ignore[type-arg]  # generic only in the stubs
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = ["sku", "sku_code", "name", "unit_price", "quantity", "line_total"]

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


class OrderEventInline(admin.TabularInline):  # type: ignore[type-arg]  # generic only in the stubs
    model = OrderEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "actor", "detail"]

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic only in the stubs
    """Orders change only through their services (cancel, ship), each writing its event, so
    the admin shows them read-only."""

    list_display = ["number", "created_at", "state", "total", "shipping_method_name"]
    list_filter = ["state", "shipping_method"]
    search_fields = ["number"]
    # P13: the customer's name, address, e-mail and card stay out of the admin; staff read
    # them through the back office, for a purpose, logged.
    fields = [
        "number",
        "state",
        "created_at",
        "shipping_method_name",
        "subtotal",
        "shipping_cost",
        "tax",
        "total",
        "currency",
    ]
    readonly_fields = (
        "number",
        "state",
        "created_at",
        "shipping_method_name",
        "subtotal",
        "shipping_cost",
        "tax",
        "total",
        "currency",
    )
    inlines = [OrderLineInline, OrderEventInline]

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: object) -> bool:
        return False
