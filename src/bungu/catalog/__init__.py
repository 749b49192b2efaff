"""The catalogue: brands, categories, products, SKUs, stock, images and search."""
