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
# set, so that every worker and host counts against the same limit.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
