"""The KM plan: fiscal years, the knowledge map, the plan's indicators, charts and the
committee's yearly report."""
