"""quantrac — the environmental-monitoring database of Decision 1618/QĐ-TTg.

Receives automatic and periodic monitoring data, standardizes it against one catalogue,
stores it with an audit trail, derives indices and exceedances, and shares what is public.
"""

__version__ = "0.1.0"
