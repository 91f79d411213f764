"""The classroom demo (``strikesim demo``) and the pictures it shares with ``strikesim animate``.

``scene`` holds what the class can change, ``adapter`` the one coupling to the model,
``payload`` the page's data, ``layout`` and ``palette`` where and in what colours people are
drawn, ``drawing`` the matplotlib pictures of the animation, ``store`` the page's data kept in
bounded caches, ``server`` and ``export`` the two ways the page (``static/``) reaches a class.
"""
