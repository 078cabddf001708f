"""The socket runtime: the tab consumer and its collaborators.

:mod:`.consumer` is the tab socket channels builds per connection; it owns one :class:`.tab.Tab`
(what an accepted tab knows of its session), which holds a :class:`.timer.DeadlineTimer` and a
:class:`.membership.GroupMembership`. :mod:`.base` is what every sessions-live socket (the
dashboard's too) does before its own work.
"""
