"""Channel connectors: pull orders from the sales platforms, push stock levels and tracking back.

`base` is the framework (adapter interface, rate limiter, back-off, registry), `sync` the service
that runs a pull and maps each platform order through the API v1 order path, `douyin` the
reference adapter and `fake_douyin` a local stand-in for its platform used by tests and the demo.
"""
