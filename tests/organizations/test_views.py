"""Organization pages: an outsider gets 404 and a lower role 403 on every page, the sensitive pages
ask for the password, and the legal-representative rule is explained with the way out."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import User
from core.models import AuditEvent, Notification
from organizations import services
from organizations.models import Invitation, Membership, Organization, Role
from tests.conftest import ClientResponse, membership, signed_in
from tests.organizations.helpers import add_legal_representative, add_member


@pytest.fixture
def cast(alice: User, bob: User, erin: User, dave: User) -> dict[str, User]:
    return {"alice": alice, "bob": bob, "erin": erin, "dave": dave}


@pytest.fixture
def xena(acme: Organization) -> Membership:
    """An Acme external: the member whose role and removal pages are tried."""
    return add_member(acme, Role.EXTERNAL, email="xena@example.com")


@pytest.fixture
def invitation(alice: User, acme: Organization) -> Invitation:
    return services.do_invite_member(
        acme, email="frank@example.com", role=Role.COLLABORATOR, actor=alice
    )


def _state() -> dict[str, Any]:
    """Everything an organization page could change."""
    return {
        "orgs": list(Organization.objects.order_by("pk").values()),
        "members": list(Membership.objects.order_by("pk").values()),
        "invitations": list(Invitation.objects.order_by("pk").values()),
        "users": list(User.objects.order_by("pk").values("pk", "is_active", "email")),
        "events": AuditEvent.objects.count(),
        "notifications": Notification.objects.count(),
    }


def _main(response: ClientResponse) -> str:
    page = response.content.decode()
    return page[page.index("<main") : page.index("</main>")]


# Every organization page, what it needs, and a POST that would change something.
# status: expected GET status for (alice: legal representative, bob: administrator, erin:
# collaborator); dave (outsider) always gets 404.
PAGES: dict[str, dict[str, Any]] = {
    "dashboard": {"path": "/orgs/acme/", "status": (200, 200, 200), "post": None},
    "settings": {
        "path": "/orgs/acme/settings/",
        "status": (200, 200, 403),
        "post": {"name": "Taken over", "country": "CH"},
    },
    "activity": {"path": "/orgs/acme/activity/", "status": (200, 403, 403), "post": None},
    "member-list": {"path": "/orgs/acme/members/", "status": (200, 200, 200), "post": None},
    "member-invite": {
        "path": "/orgs/acme/members/invite/",
        "status": (200, 200, 403),
        "post": {"email": "mallory@example.com", "role": "collaborator"},
    },
    "member-role": {
        "path": "/orgs/acme/members/{xena}/role/",
        "status": (200, 200, 403),
        "post": {"role": "administrator"},
    },
    "member-remove": {
        "path": "/orgs/acme/members/{xena}/remove/",
        "status": (200, 200, 403),
        "post": {},
    },
    "leave": {"path": "/orgs/acme/leave/", "status": (200, 200, 200), "post": {}},
    "invitation-revoke": {
        "path": "/orgs/acme/invitations/{invitation}/revoke/",
        "status": (405, 405, 403),  # POST only; a collaborator is refused whatever the method
        "post": {},
    },
}
LOWER_ROLE_PAGES = [name for name, page in PAGES.items() if 403 in page["status"]]


def _org_url_names() -> set[str]:
    """Names of the URL patterns under /orgs/<slug>/, read from the resolver."""
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, p.namespace or namespace)
            elif (
                isinstance(p, URLPattern)
                and "<slug:slug>" in str(p.pattern)
                and namespace == "organizations"
            ):
                # Other apps' pages under /orgs/<slug>/ are tested with their app.
                names.add(str(p.name))

    walk(get_resolver().url_patterns, "")
    return names


def _path(name: str, xena: Membership, invitation: Invitation) -> str:
    return str(PAGES[name]["path"]).format(xena=xena.pk, invitation=invitation.pk)


def test_pages_table_covers_every_organization_page() -> None:
    assert _org_url_names() == set(PAGES)


@pytest.mark.parametrize("name", list(PAGES))
@pytest.mark.parametrize("recent_password", [True, False])
def test_outsider_gets_404_on_every_page(
    cast: dict[str, User],
    xena: Membership,
    invitation: Invitation,
    name: str,
    recent_password: bool,
) -> None:
    """Without a confirmed password too: the confirmation page must not reveal the organization."""
    client = signed_in(cast["dave"], recent_password=recent_password)
    path = _path(name, xena, invitation)
    before = _state()

    assert client.get(path).status_code == 404
    assert client.post(path, PAGES[name]["post"] or {}).status_code == 404
    assert _state() == before


@pytest.mark.parametrize("name", LOWER_ROLE_PAGES)
def test_collaborator_gets_403_where_page_needs_more(
    cast: dict[str, User], xena: Membership, invitation: Invitation, name: str
) -> None:
    client = signed_in(cast["erin"])
    path = _path(name, xena, invitation)
    before = _state()

    assert client.get(path).status_code == 403
    assert client.post(path, PAGES[name]["post"] or {}).status_code == 403
    assert _state() == before


def test_collaborator_gets_403_on_invitation_revoke(
    cast: dict[str, User], xena: Membership, invitation: Invitation
) -> None:
    before = _state()

    response = signed_in(cast["erin"]).post(_path("invitation-revoke", xena, invitation))

    assert response.status_code == 403
    assert _state() == before


@pytest.mark.parametrize("name", list(PAGES))
@pytest.mark.parametrize(("who", "index"), [("alice", 0), ("bob", 1), ("erin", 2)])
def test_members_get_page_by_role(
    cast: dict[str, User],
    xena: Membership,
    invitation: Invitation,
    name: str,
    who: str,
    index: int,
) -> None:
    response = signed_in(cast[who]).get(_path(name, xena, invitation))

    assert response.status_code == PAGES[name]["status"][index]


@pytest.mark.parametrize("name", list(PAGES))
def test_anonymous_is_sent_to_sign_in(
    cast: dict[str, User], xena: Membership, invitation: Invitation, name: str
) -> None:
    response = Client().get(_path(name, xena, invitation))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_unknown_organization_is_404(as_alice: Client) -> None:
    assert as_alice.get("/orgs/nope/").status_code == 404


def test_member_of_another_organization_is_404(
    as_alice: Client, acme: Organization, dave: User
) -> None:
    daves = Membership.objects.get(user=dave)
    for page in ("role", "remove"):
        response = as_alice.post(f"/orgs/acme/members/{daves.pk}/{page}/", {"role": "external"})
        assert response.status_code == 404
    assert Membership.objects.get(user=dave).role == Role.LEGAL_REPRESENTATIVE


def test_invitation_of_another_organization_is_404(
    as_alice: Client, dave: User, acme: Organization
) -> None:
    keller = Organization.objects.get(slug="keller")
    other = services.do_invite_member(keller, email="x@example.com", role="external", actor=dave)

    assert as_alice.post(f"/orgs/acme/invitations/{other.pk}/revoke/").status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


# --- Recent password ----------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["role", "remove"])
def test_member_pages_need_recent_password(alice: User, xena: Membership, page: str) -> None:
    client = signed_in(alice, recent_password=False)
    path = f"/orgs/acme/members/{xena.pk}/{page}/"
    before = _state()

    for response in (client.get(path), client.post(path, {"role": "administrator"})):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/confirm-password/?next=")
    assert _state() == before
    assert Membership.objects.get(pk=xena.pk).role == Role.EXTERNAL


def test_confirmed_password_brings_back_to_page(
    alice: User, xena: Membership, password: str
) -> None:
    client = signed_in(alice, recent_password=False)
    path = f"/orgs/acme/members/{xena.pk}/role/"
    confirm = client.get(path)["Location"]

    response = client.post(confirm, {"password": password})

    assert response.status_code == 302
    assert response["Location"] == path
    assert client.get(path).status_code == 200


# --- Changing roles -----------------------------------------------------------------------------


def test_bob_cannot_open_alice_role_page(alice: User, bob: User, acme: Organization) -> None:
    client = signed_in(bob)
    alices = membership(alice, acme)

    assert client.get(f"/orgs/acme/members/{alices.pk}/role/").status_code == 403
    response = client.post(f"/orgs/acme/members/{alices.pk}/role/", {"role": "external"})
    assert response.status_code == 403
    assert client.get(f"/orgs/acme/members/{alices.pk}/remove/").status_code == 403
    assert client.post(f"/orgs/acme/members/{alices.pk}/remove/").status_code == 403
    assert membership(alice, acme).is_legal_representative


def test_administrator_role_page_offers_no_legal_representative(
    alice: User, bob: User, xena: Membership
) -> None:
    page = _main(signed_in(bob).get(f"/orgs/acme/members/{xena.pk}/role/"))

    assert 'value="administrator"' in page
    assert 'value="legal_representative"' not in page


def test_administrator_cannot_post_legal_representative(
    alice: User, bob: User, xena: Membership
) -> None:
    response = signed_in(bob).post(
        f"/orgs/acme/members/{xena.pk}/role/", {"role": "legal_representative"}
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Membership.objects.get(pk=xena.pk).role == Role.EXTERNAL


def test_role_change_by_administrator(alice: User, bob: User, xena: Membership) -> None:
    client = signed_in(bob)

    response = client.post(
        f"/orgs/acme/members/{xena.pk}/role/", {"role": "collaborator", "billing_rights": "on"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/orgs/acme/members/"
    xena.refresh_from_db()
    assert (xena.role, xena.billing_rights) == (Role.COLLABORATOR, True)
    assert "is changed" in client.get("/orgs/acme/members/").content.decode()
    email = Notification.objects.get(kind="member_role_changed")
    assert email.to == "xena@example.com"


def test_legal_representative_appoints_another_through_page(
    alice: User, bob: User, acme: Organization
) -> None:
    bobs = membership(bob, acme)

    signed_in(alice).post(f"/orgs/acme/members/{bobs.pk}/role/", {"role": "legal_representative"})

    assert membership(bob, acme).is_legal_representative


def test_own_role_page_refused(alice: User, bob: User, acme: Organization) -> None:
    client = signed_in(bob)
    bobs = membership(bob, acme)

    response = client.post(f"/orgs/acme/members/{bobs.pk}/role/", {"role": "external"})

    assert response.status_code == 302
    assert "You cannot change your own role." in client.get(response["Location"]).content.decode()
    assert membership(bob, acme).role == Role.ADMINISTRATOR


def test_demote_race_shows_explanation_with_409(alice: User, acme: Organization) -> None:
    """Only a race reaches this through the page (alice cannot demote herself, and a second
    legal representative makes the demotion legal), so the service's refusal is simulated."""
    frank = add_legal_representative(acme)
    before = _state()

    with mock.patch.object(
        services, "do_change_role", side_effect=services.LegalRepresentativeRequired(acme)
    ):
        response = signed_in(alice).post(
            f"/orgs/acme/members/{frank.pk}/role/", {"role": "administrator"}
        )

    assert response.status_code == 409
    assert "Appoint another legal representative first" in _main(response)
    assert _state() == before


# --- Removing and leaving -----------------------------------------------------------------------


def test_remove_member_through_page(alice: User, bob: User, xena: Membership) -> None:
    client = signed_in(bob)

    page = _main(client.get(f"/orgs/acme/members/{xena.pk}/remove/"))
    assert "xena@example.com will no longer have access to Acme SA" in page
    response = client.post(f"/orgs/acme/members/{xena.pk}/remove/")

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=xena.pk).exists()
    assert "is no longer a member of Acme SA" in client.get("/orgs/acme/members/").content.decode()
    assert Notification.objects.get(kind="member_removed").to == "xena@example.com"


def test_remove_gone_member_is_404(alice: User, xena: Membership) -> None:
    client = signed_in(alice)
    client.post(f"/orgs/acme/members/{xena.pk}/remove/")

    assert client.post(f"/orgs/acme/members/{xena.pk}/remove/").status_code == 404


def test_remove_self_leads_to_leave_page(alice: User, acme: Organization) -> None:
    client = signed_in(alice)
    alices = membership(alice, acme)

    response = client.post(f"/orgs/acme/members/{alices.pk}/remove/")

    assert response.status_code == 302
    assert response["Location"] == "/orgs/acme/leave/"
    assert Membership.objects.filter(pk=alices.pk).exists()


def test_removing_last_legal_representative_explains_way_out(
    alice: User, bob: User, acme: Organization
) -> None:
    """alice, the only legal representative, tries to remove herself: the page sends her to
    "Leave", which refuses with the explanation and the links that get her out."""
    client = signed_in(alice)
    alices = membership(alice, acme)
    before = _state()

    leave_page = client.post(f"/orgs/acme/members/{alices.pk}/remove/", follow=True)
    assert leave_page.redirect_chain == [("/orgs/acme/leave/", 302)]
    response = client.post("/orgs/acme/leave/")

    page = _main(response)
    assert response.status_code == 409
    assert "Acme SA must keep at least one legal representative" in page
    assert "Appoint another legal representative first" in page
    assert 'href="/orgs/acme/members/invite/?role=legal_representative"' in page
    assert "Give the role to an existing member" in page
    assert 'role="alert"' in page
    assert _state() == before


def test_way_out_link_preselects_legal_representative(alice: User) -> None:
    page = _main(signed_in(alice).get("/orgs/acme/members/invite/?role=legal_representative"))

    checked = [line for line in page.split("<input") if "checked" in line]
    assert len(checked) == 1
    assert 'value="legal_representative"' in checked[0]


def test_invite_page_ignores_role_it_cannot_offer(alice: User, bob: User) -> None:
    page = _main(signed_in(bob).get("/orgs/acme/members/invite/?role=legal_representative"))

    assert "legal_representative" not in page
    assert "checked" not in page


def test_remove_race_shows_explanation_with_409(alice: User, acme: Organization) -> None:
    """As for the demotion: only a race reaches this through the page."""
    frank = add_legal_representative(acme)
    before = _state()

    with mock.patch.object(
        services, "do_remove_member", side_effect=services.LegalRepresentativeRequired(acme)
    ):
        response = signed_in(alice).post(f"/orgs/acme/members/{frank.pk}/remove/")

    assert response.status_code == 409
    assert "Appoint another legal representative first" in _main(response)
    assert _state() == before


def test_leave_with_another_legal_representative(alice: User, acme: Organization) -> None:
    add_legal_representative(acme)
    client = signed_in(alice)

    response = client.post("/orgs/acme/leave/")

    assert response.status_code == 302
    assert not Membership.objects.filter(organization=acme, user=alice).exists()
    assert client.get("/orgs/acme/").status_code == 404


def test_leave_as_collaborator(alice: User, erin: User, acme: Organization) -> None:
    client = signed_in(erin)

    response = client.post("/orgs/acme/leave/", follow=True)

    assert "You left Acme SA." in response.content.decode()
    assert not Membership.objects.filter(organization=acme, user=erin).exists()


def test_leave_page_changes_nothing_on_get(alice: User) -> None:
    before = _state()

    response = signed_in(alice).get("/orgs/acme/leave/")

    assert response.status_code == 200
    assert _state() == before


# --- What each role sees ------------------------------------------------------------------------


def test_member_list_tells_only_legal_representative(
    alice: User, bob: User, acme: Organization
) -> None:
    text = "You are the only legal representative"

    assert text in _main(signed_in(alice).get("/orgs/acme/members/"))
    assert text not in _main(signed_in(bob).get("/orgs/acme/members/"))
    add_legal_representative(acme)
    assert text not in _main(signed_in(alice).get("/orgs/acme/members/"))


def test_member_list_actions_follow_rights(
    alice: User, bob: User, erin: User, xena: Membership, acme: Organization
) -> None:
    alices = membership(alice, acme)

    as_bob = _main(signed_in(bob).get("/orgs/acme/members/"))
    assert f"/members/{xena.pk}/role/" in as_bob
    assert f"/members/{alices.pk}/role/" not in as_bob
    assert "Invite a member" in as_bob

    as_erin = _main(signed_in(erin).get("/orgs/acme/members/"))
    assert "/role/" not in as_erin
    assert "/remove/" not in as_erin
    assert "Invite a member" not in as_erin
    assert "xena@example.com" in as_erin


def test_member_list_hides_invitations_from_collaborators(
    erin: User, invitation: Invitation
) -> None:
    assert "frank@example.com" not in _main(signed_in(erin).get("/orgs/acme/members/"))


def test_member_list_shows_pending_invitations_to_managers(
    bob: User, invitation: Invitation
) -> None:
    page = _main(signed_in(bob).get("/orgs/acme/members/"))

    assert "frank@example.com" in page
    assert f"/orgs/acme/invitations/{invitation.pk}/revoke/" in page


def test_navigation_follows_rights(alice: User, bob: User, erin: User) -> None:
    assert "/orgs/acme/activity/" in signed_in(alice).get("/orgs/acme/").content.decode()
    assert "/orgs/acme/activity/" not in signed_in(bob).get("/orgs/acme/").content.decode()
    assert "/orgs/acme/settings/" not in signed_in(erin).get("/orgs/acme/").content.decode()


def test_settings_saved_by_administrator(alice: User, bob: User, acme: Organization) -> None:
    response = signed_in(bob).post(
        "/orgs/acme/settings/", {"name": "Acme SA", "city": "Lugano", "country": "ch"}
    )

    assert response.status_code == 302
    acme.refresh_from_db()
    assert (acme.city, acme.country) == ("Lugano", "CH")


def test_settings_bad_country_changes_nothing(alice: User, acme: Organization) -> None:
    response = signed_in(alice).post("/orgs/acme/settings/", {"name": "Acme SA", "country": "1"})

    assert response.status_code == 200
    assert "two-letter country code" in response.content.decode()
    acme.refresh_from_db()
    assert acme.country == ""


def test_activity_lists_organization_events_only(
    alice: User, bob: User, erin: User, dave: User, acme: Organization
) -> None:
    services.do_change_role(membership(erin, acme), role=Role.EXTERNAL, actor=bob)
    keller = Organization.objects.get(slug="keller")
    services.do_update_organization(keller, actor=dave, city="Secret City")

    page = _main(signed_in(alice).get("/orgs/acme/activity/"))

    assert "bob@example.com" in page
    assert "erin@example.com" in page
    assert "Keller" not in page
    assert "dave@example.com" not in page


def test_invite_through_page(alice: User, bob: User) -> None:
    client = signed_in(bob)

    response = client.post(
        "/orgs/acme/members/invite/", {"email": "Frank@Example.com", "role": "external"}
    )

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role) == ("frank@example.com", Role.EXTERNAL)
    assert "We sent an invitation" in client.get(response["Location"]).content.decode()


def test_switching_organizations_remembers_current(alice: User, acme: Organization) -> None:
    other = services.do_create_organization("Second Co", creator=alice)
    client = signed_in(alice)

    client.get(f"/orgs/{other.slug}/")

    assert client.get("/")["Location"] == f"/orgs/{other.slug}/"
    client.get("/orgs/acme/")
    assert client.get("/")["Location"] == "/orgs/acme/"


def test_home_without_organization_lists_none(db: Any) -> None:
    from tests.factories import UserFactory

    loner = UserFactory.create()
    client = signed_in(loner)

    response = client.get("/", follow=True)

    assert response.redirect_chain[-1][0] == "/orgs/"
    assert "You do not belong to any organization" in response.content.decode()


def test_create_organization_through_page(dave: User) -> None:
    response = signed_in(dave).post("/orgs/new/", {"name": "Keller Two"})

    org = Organization.objects.get(name="Keller Two")
    assert response["Location"] == f"/orgs/{org.slug}/"
    assert membership(dave, org).is_legal_representative


@pytest.mark.parametrize("page", ["role", "remove"])
def test_administrator_is_told_who_may_change_a_legal_representative(
    alice: User, bob: User, acme: Organization, page: str
) -> None:
    target = membership(alice, acme)

    response = signed_in(bob).get(f"/orgs/acme/members/{target.pk}/{page}/")

    assert response.status_code == 403
    assert "Only a legal representative can change or remove" in response.content.decode()
