"""Provider clients behind one interface (`base.Provider`): UIS, Mango Office, clinic HTTP API."""

from adapter.providers.base import AccountInfo, Capability, Provider, RetryPolicy

__all__ = ["AccountInfo", "Capability", "Provider", "RetryPolicy"]
