from django.contrib import admin

from .models import ShippingMethod, ShippingRate, TaxRate


class ShippingRateInline(admin.TabularInline):  # type: ignore[type-arg]  # generic only in the stubs
    model = ShippingRate
    extra = 1


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic only in the stubs
    list_display = ["name", "code", "speed", "kind", "price", "free_above", "is_active", "position"]
    list_editable = ["is_active", "position"]
    inlines = [ShippingRateInline]


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic only in the stubs
    list_display = ["region", "name", "rate", "taxes_shipping"]
    search_fields = ["region", "name"]
