"""One module and one .kv file per screen; each screen only binds properties and calls the app or a view-model."""
