from .selectors import user_roles


def navigation(request):
    """Expose the signed-in user's roles so the base layout can show the navigation that fits."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"roles": user_roles(user)}
