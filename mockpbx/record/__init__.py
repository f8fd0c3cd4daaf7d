"""Record real provider traffic, replay it, measure the mock's fidelity, fit scenarios.

    faces.py     the four recordable faces: which method a request calls, its normalized params
    cassette.py  the cassette format (JSON Lines: a header line, then one exchange per line)
    redact.py    secrets removed, personal data replaced by consistent pseudonyms
    proxy.py     `mockpbx record`: the reverse proxy (and Mango webhook relay) writing a cassette
    replay.py    `mockpbx serve --replay`: recorded answers for recorded requests
    fidelity.py  `mockpbx fidelity`: where the mock departs from the recorded provider
    shapes.py    structural profiles of answers (fields, types, formats) compared by fidelity
    fit.py       `mockpbx scenarios fit | compare`: a scenario from real history, and distances

Nothing here is imported by the server unless a command or `--replay` asks for it.
"""
