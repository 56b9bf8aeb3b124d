"""The pre-sale back office: operators see campaigns and pre-orders, approve a submitted
campaign or reject it with a reason, through the services; nobody edits them there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from designmall.accounts.roles import Role
from designmall.presale.models import CampaignStatus
from designmall.presale.services import campaign_submit, preorder_deposit_create
from tests.factories import make_user
from tests.presale.conftest import first_sku, fresh, make_campaign

pytestmark = pytest.mark.django_db

CAMPAIGNS = "admin:presale_campaign_changelist"


@pytest.fixture
def staff(client):
    user = make_user(role=Role.OPERATOR)
    client.force_login(user)
    return user


@pytest.fixture
def submitted():
    campaign = make_campaign(approved=False)
    campaign_submit(campaign=campaign, by=campaign.shop.owner)
    return campaign


@pytest.mark.parametrize("model", ["campaign", "preorder"])
def test_the_lists_open_for_operators(client, staff, model):
    campaign = make_campaign()
    preorder = preorder_deposit_create(buyer=make_user(), campaign_sku=first_sku(campaign))

    page = client.get(reverse(f"admin:presale_{model}_changelist"))

    assert page.status_code == 200
    shown = {"campaign": campaign, "preorder": preorder}[model]
    assert shown.public_id in page.content.decode()


def test_a_campaigns_page_shows_its_skus_terms(client, staff, submitted):
    page = client.get(reverse("admin:presale_campaign_change", args=[submitted.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert "¥1,000.00" in text and "¥100.00" in text and "¥150.00" in text and "¥850.00" in text


def test_an_operator_approves_a_submitted_campaign(client, staff, submitted):
    chosen = {"action": "approve", "_selected_action": [submitted.pk]}

    client.post(reverse(CAMPAIGNS), chosen)

    campaign = fresh(submitted)
    assert (campaign.status, campaign.reviewed_by) == (CampaignStatus.APPROVED, staff)


def test_an_operator_rejects_a_campaign_with_a_reason(client, staff, submitted):
    chosen = {"action": "reject", "_selected_action": [submitted.pk]}
    asked = client.post(reverse(CAMPAIGNS), chosen)
    assert asked.status_code == 200  # the page asking for the reason

    client.post(reverse(CAMPAIGNS), {**chosen, "apply": "1", "reason": "定金说明不清楚"})

    campaign = fresh(submitted)
    assert (campaign.status, campaign.reject_reason) == (CampaignStatus.REJECTED, "定金说明不清楚")


def test_nobody_edits_a_campaign_or_a_pre_order_in_the_back_office(client, staff, submitted):
    page = client.post(
        reverse("admin:presale_campaign_change", args=[submitted.pk]), {"per_buyer_limit": 99}
    )
    assert page.status_code == 403
    assert fresh(submitted).per_buyer_limit == 1


def test_a_buyer_cannot_open_the_back_office_lists(client):
    client.force_login(make_user())
    page = client.get(reverse(CAMPAIGNS))
    assert page.status_code == 302
