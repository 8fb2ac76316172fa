"""Wire models shared by the REST API and the HTTP client (``…In`` bodies, ``…Out`` answers).

`core` holds tracking, registry and validation shapes; `ops` holds governance, inventory,
deployment and monitoring shapes. They are not the domain: `Out.to_domain()` converts back.
"""
