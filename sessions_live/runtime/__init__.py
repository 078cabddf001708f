"""What every process does with live sessions: ending them (:mod:`.lifecycle`), pushing to
their tabs (:mod:`.push`), vouching for its own tabs (:mod:`.presence`), the sweep
(:mod:`.sweep`), and carrying on through outages (:mod:`.outages`)."""
