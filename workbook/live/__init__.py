"""The live interview: scoring panels, their gradebook fields, live checks, the session.

    binding     which session a notebook belongs to (notebook metadata)
    state       panel state as plain values, and the gradebook field of each control
    scorecard   question scores folded into the competency scorecard
    answers     the candidate's current answer, read from a notebook on disk
    checks      run a question's checks on that answer in a confined kernel
    store       write and read the session's gradebook fields
    context     what the panels of one interviewer notebook share
    html        the markup the panels show (pure)
    widgets     the ipywidgets adapter (the only module importing ipywidgets)
    session     prepare a session folder: candidate and bound interviewer notebooks
    lab         start and stop JupyterLab with real-time collaboration
"""
