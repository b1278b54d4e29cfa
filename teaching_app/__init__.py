"""The teaching app: partnersim in the browser (Mesa's SolaraViz), presentation only.

It composes configurations through :func:`runner.compose.compose_config` and draws what the model
holds; it has no model logic of its own (docs/architecture.md).
"""
