"""Extension objects, not bound to any app: create_app() binds them."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from portal.data.base import Base

db = SQLAlchemy(model_class=Base)
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# Sessions end by the account's session version (sign-out everywhere, disabling), idle
# and absolute timeouts. Flask-Login's own "session protection" would also rewrite every
# non-empty session (a new cookie on each page view) and sign out a phone that changes
# network, so it is off.
login_manager.session_protection = None
