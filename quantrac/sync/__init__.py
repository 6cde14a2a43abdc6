"""Federation: province nodes push every change to the national node, in commit order,
resumably and idempotently (docs/federation.md).

`changes` records the change log (hooks called by the writers); `reader` turns it into
batches; `client` pushes them with retries; `apply` and `replica` write them on the national
node; `router` is the national endpoint; `nodes` registers province nodes and their keys.
"""
