def testing():
    pass
