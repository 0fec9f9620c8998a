"""The official `azure-ai-inference` and `openai` Python clients against the
real proxy binary in demo mode, over loopback: the proxy speaks the API
itself, not an approximation of it."""

import os
import re
import subprocess
from pathlib import Path

import pytest
from azure.ai.inference import ChatCompletionsClient
from azure.ai.inference.models import (
    ImageContentItem,
    ImageUrl,
    SystemMessage,
    TextContentItem,
    UserMessage,
)
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError
from openai import OpenAI

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "images"


@pytest.fixture(scope="module")
def proxy():
    binary = os.environ["VISION_CHAT_PROXY"]
    env = {"PATH": os.environ.get("PATH", "")}
    child = subprocess.Popen(
        [binary, "--listen", "127.0.0.1:0", "--static-dir", os.environ.get("VISION_CHAT_DIST", "dist"),
         "--demo-delay-ms", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )
    try:
        url = None
        for line in child.stdout:
            m = re.search(r"listening on (http://\S+)", line)
            if m:
                url = m.group(1)
                break
        assert url, "the proxy did not start"
        yield url + "/api"
    finally:
        child.terminate()
        child.wait(timeout=10)


@pytest.fixture
def azure(proxy):
    return ChatCompletionsClient(endpoint=proxy, credential=AzureKeyCredential("not-used-in-demo-mode"))


def test_azure_get_model_info(azure):
    info = azure.get_model_info()
    assert info.model_name == "vision-chat-demo"
    assert info.model_type == "chat-completions"
    assert "demo" in info.model_provider_name


def test_azure_complete(azure):
    response = azure.complete(
        messages=[SystemMessage(content="You are a helpful assistant."),
                  UserMessage(content="How many languages are in the world?")],
        temperature=0, top_p=1, max_tokens=2048,
    )
    choice = response.choices[0]
    assert choice.finish_reason == "stop"
    assert '"How many languages are in the world?"' in choice.message.content
    assert "temperature 0" in choice.message.content
    assert response.usage.total_tokens == response.usage.prompt_tokens + response.usage.completion_tokens


def test_azure_complete_streaming(azure):
    stream = azure.complete(stream=True, messages=[UserMessage(content="Stream, please")], max_tokens=12)
    text, usage, reasons = "", None, []
    for update in stream:
        if update.choices:
            text += update.choices[0].delta.content or ""
            if update.choices[0].finish_reason:
                reasons.append(update.choices[0].finish_reason)
        if update.usage:
            usage = update.usage
    assert reasons == ["length"]
    assert usage.completion_tokens == 12
    assert text.startswith("This is the **vision-chat demo endpoint**")


def test_azure_complete_with_an_image(azure):
    response = azure.complete(messages=[UserMessage(content=[
        TextContentItem(text="Which region grew most?"),
        ImageContentItem(image_url=ImageUrl.load(image_file=str(FIXTURES / "revenue-by-region.png"),
                                                 image_format="png")),
    ])])
    content = response.choices[0].message.content
    assert "| Image | PNG, 990 × 550 pixels, 59,618 bytes;" in content
    assert response.usage.prompt_tokens > 2000


def test_azure_two_images_are_refused_in_the_api_shape(azure):
    image = ImageContentItem(image_url=ImageUrl.load(image_file=str(FIXTURES / "requests-bar.jpg"), image_format="jpeg"))
    with pytest.raises(HttpResponseError) as err:
        azure.complete(messages=[UserMessage(content=[image]), UserMessage(content=[image])])
    assert err.value.status_code == 400
    assert "one image" in str(err.value)


def test_openai_client(proxy):
    client = OpenAI(base_url=proxy, api_key="not-used-in-demo-mode")
    completion = client.chat.completions.create(
        model="phi-3.5-vision-instruct", messages=[{"role": "user", "content": "Hello from openai"}])
    assert completion.choices[0].message.content.startswith("This is the **vision-chat demo endpoint**")
    assert completion.usage.total_tokens > 0

    text = ""
    for chunk in client.chat.completions.create(
            model="phi-3.5-vision-instruct", stream=True, messages=[{"role": "user", "content": "Hello from openai"}]):
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
    assert text == completion.choices[0].message.content.replace("stream false", "stream true")
