"""Reports and public outputs of the indicators.

Among them: the committee report (``committee``, ``issued``, ``charts``, ``commentary``) and the open
outputs, protected by statistical disclosure control (``disclosure``, ``opendata``, ``opensdg``).
"""
