"""The product's settings with the test suite's password hasher, for servers that tests start.

tests/conftest.py hashes the test users' passwords with MD5 (full strength
costs ~0.3 s per user); a server checking real sign-ins must read those hashes.
"""

from queue_system.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
