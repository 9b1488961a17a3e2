"""Flask extensions, created unbound and bound to the app in ``create_app``."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
migrate = Migrate()
login_manager = LoginManager()
# Storage comes from RATELIMIT_STORAGE_URI: memory:// by default, Redis when REDIS_URL is
# set, so that every worker and host counts against the same limit. When Redis cannot be
# reached, each worker counts the same limits in its own memory (logged as a warning:
# "Rate limit storage unreachable - falling back to in-memory storage") and goes back to
# Redis once it answers again; any other limiter failure is logged and lets the request
# through, so that an outage never turns a login or a candidate's test into an error page.
limiter = Limiter(
    key_func=get_remote_address,
    default_limits=[],
    in_memory_fallback_enabled=True,
    swallow_errors=True,
)
