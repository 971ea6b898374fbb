"""LTI 1.3, the tool side (docs/api.md §15): registration, tool keys, launches and deep linking."""
