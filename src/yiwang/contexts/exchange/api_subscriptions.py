"""Subscription routes. Being written."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/exchange", tags=["exchange"])
