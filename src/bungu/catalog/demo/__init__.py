"""The demo catalogue: real Japanese stationery makers and lines, generated from a seed."""

from .loader import DemoCatalogue, load_demo_catalogue
from .plan import DEFAULT_PRODUCTS, MAX_SKUS, ProductPlan, SkuPlan, plan_catalogue

__all__ = [
    "DEFAULT_PRODUCTS",
    "MAX_SKUS",
    "DemoCatalogue",
    "ProductPlan",
    "SkuPlan",
    "load_demo_catalogue",
    "plan_catalogue",
]
