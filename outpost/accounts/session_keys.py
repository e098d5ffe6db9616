"""Names of the values Outpost keeps in a staff member's session."""

# The public id of the session's StaffSession row.
STAFF_SESSION = "outpost_staff_session"
# Why the last session ended, shown once on the sign-in page.
SIGNED_OUT_REASON = "outpost_signed_out"
# The unconfirmed authenticator that replaces the current one, set only
# after the person re-entered their password and a code.
RESET_DEVICE = "outpost_otp_reset_device"
