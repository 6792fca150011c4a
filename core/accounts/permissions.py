"""Who may do what: ``@roles_required`` for coarse checks, ``can_<verb>`` for objects."""

from __future__ import annotations

from functools import wraps

from flask_login import current_user

from core.accounts.models import Role, User
from core.errors import Forbidden
from core.extensions import login_manager
from core.schools.models import School


def roles_required(*roles: Role | str):
    """Let the view run only for signed-in users holding one of ``roles``; others get 403."""
    wanted = tuple(Role(r) for r in roles)

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*wanted):
                raise Forbidden()
            return view(*args, **kwargs)

        wrapper.required_roles = wanted
        return wrapper

    return decorator


def require(allowed: bool) -> None:
    """Raise 403 unless ``allowed``."""
    if not allowed:
        raise Forbidden()


def can_manage_users(user: User) -> bool:
    """Admins manage every account and role."""
    return user.is_authenticated and user.has_role(Role.ADMIN)


def can_manage_school(user: User, school: School) -> bool:
    """Admins manage every school; a coordinator manages their own school's classes and roster."""
    if not user.is_authenticated:
        return False
    return user.has_role(Role.ADMIN) or school.id in user.school_ids_for(Role.COORDINATOR)


def can_view_school(user: User, school: School) -> bool:
    """District staff see every school; coordinators see theirs."""
    return user.is_authenticated and (user.is_district_staff or can_manage_school(user, school))
