from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "vom.notifications"
    label = "notifications"
    verbose_name = "Notifications"
