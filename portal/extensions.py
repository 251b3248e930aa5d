"""Extension objects, not bound to any app: create_app() binds them."""

from flask_babel import Babel
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from portal.data.base import Base

db = SQLAlchemy(model_class=Base)
babel = Babel()
csrf = CSRFProtect()
